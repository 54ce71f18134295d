import { CreateMapForm } from '../components/home/CreateMapForm.tsx';
import { RecentMaps } from '../components/home/RecentMaps.tsx';

export default function HomePage() {
  return (
    <main className="home">
      <header className="home-header">
        <h1>
          <span aria-hidden="true" className="logo">
            ◎
          </span>{' '}
          Meridian
        </h1>
        <p>Make a map, share the link, and edit it together in real time.</p>
      </header>
      <section aria-labelledby="create-heading" className="card">
        <h2 id="create-heading">New map</h2>
        <CreateMapForm />
      </section>
      <section aria-labelledby="recent-heading" className="card">
        <h2 id="recent-heading">Recent maps on this device</h2>
        <RecentMaps />
      </section>
    </main>
  );
}
