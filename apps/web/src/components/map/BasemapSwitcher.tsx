'use client';

import type { Basemap } from '../../basemap/catalog.ts';
import type { BasemapFallback } from './hooks/use-basemap.ts';

/** The basemap picker, in the map's corner; each person chooses their own. */
export function BasemapSwitcher({
  basemaps,
  current,
  onChoose,
}: {
  basemaps: readonly Basemap[];
  current: Basemap;
  onChoose(id: string): void;
}) {
  return (
    <label className="basemap-switcher map-control">
      <span className="muted">Map</span>
      <select
        data-testid="basemap-select"
        aria-label="Basemap"
        value={current.id}
        onChange={(event) => onChoose(event.target.value)}
      >
        {basemaps.map((basemap) => (
          <option key={basemap.id} value={basemap.id}>
            {basemap.name}
          </option>
        ))}
      </select>
    </label>
  );
}

/** Says, once, that the chosen basemap could not be shown and the offline one stands in. */
export function BasemapNotice({ fallback, onDismiss }: { fallback: BasemapFallback; onDismiss(): void }) {
  return (
    <div className="basemap-notice map-control" role="status" data-testid="basemap-notice">
      <span>
        {fallback.failedName} map unavailable ({fallback.reason}); showing the offline map.
      </span>
      <button type="button" className="ghost small" aria-label="Dismiss" onClick={onDismiss}>
        ×
      </button>
    </div>
  );
}
