import Link from 'next/link';
import type { ReactNode } from 'react';

/** A full-page explanation of why a share link cannot be opened. */
export function LinkProblem({ title, children }: { title: string; children: ReactNode }) {
  return (
    <main className="home">
      <section className="card" role="alert" data-testid="link-problem">
        <h1>{title}</h1>
        <p>{children}</p>
        <p>
          <Link href="/">Go to the home page</Link>
        </p>
      </section>
    </main>
  );
}
