'use client';

import Link from 'next/link';
import { useEffect, useState } from 'react';
import { lookupMapsAction } from '../../app/actions.ts';
import { forgetMap, loadRecentMaps, type RecentMap } from '../../session/recent-maps.ts';

export function RecentMaps() {
  const [maps, setMaps] = useState<RecentMap[] | null>(null);

  useEffect(() => {
    const stored = loadRecentMaps(window.localStorage);
    setMaps(stored);
    if (stored.length === 0) return;
    let cancelled = false;
    // Names may have changed since this device last saw the maps; refresh them when we can.
    void lookupMapsAction(stored.map((m) => m.id)).then((current) => {
      if (cancelled || !current) return;
      const names = new Map(current.map((m) => [m.id, m.name]));
      setMaps((list) => list?.map((m) => ({ ...m, name: names.get(m.id) ?? m.name })) ?? null);
    });
    return () => {
      cancelled = true;
    };
  }, []);

  if (maps === null) return <p className="muted">Loading…</p>;
  if (maps.length === 0) return <p className="muted">Maps you create or open appear here.</p>;
  return (
    <ul className="recent-maps" data-testid="recent-maps">
      {maps.map((map) => (
        <li key={map.id}>
          <Link href={map.path} data-testid={`recent-map-${map.id}`}>
            {map.name}
          </Link>
          <span className={`badge ${map.role}`}>{map.role === 'edit' ? 'can edit' : 'view only'}</span>
          <time dateTime={new Date(map.openedAt).toISOString()} className="muted">
            {new Date(map.openedAt).toLocaleDateString()}
          </time>
          <button
            type="button"
            className="ghost small"
            aria-label={`Forget ${map.name} on this device`}
            onClick={() => setMaps(forgetMap(window.localStorage, map.id))}
          >
            Forget
          </button>
        </li>
      ))}
    </ul>
  );
}
