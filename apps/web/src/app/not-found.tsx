import Link from 'next/link';

export default function NotFound() {
  return (
    <main className="home">
      <section className="card" role="alert">
        <h1>Not found</h1>
        <p>There is nothing at this address.</p>
        <p>
          <Link href="/">Go to the home page</Link>
        </p>
      </section>
    </main>
  );
}
