'use client';

import type { Feature } from '@meridian/protocol';
import type { MeridianClient } from '@meridian/protocol/client';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef } from 'react';
import { anchorOf } from '../../features/geometry.ts';
import { featureColor } from '../../features/render-features.ts';
import { withLayerDefaults } from '../../layers/user-layers.ts';
import { ANY_FIELD } from '../../search/feature-filter.ts';
import type { FeatureFilterState } from './hooks/use-feature-filter.ts';

/** One row of the list, in CSS pixels (the touch target height). */
const ROW_PX = 44;

const KIND: Record<Feature['geometry']['type'], string> = {
  Point: 'marker',
  LineString: 'line',
  Polygon: 'area',
  MultiPoint: 'set of markers',
  MultiLineString: 'set of lines',
  MultiPolygon: 'set of areas',
  GeometryCollection: 'set of shapes',
};

export const kindOf = (feature: Feature): string => KIND[feature.geometry.type];

const count = (n: number) => n.toLocaleString('en-US');

/**
 * Every feature of the map as a keyboard- and screen-reader-friendly list, virtualised (only the
 * rows in view are in the page, so 100,000 features cost what 20 do), with a filter by any field
 * or one property.
 */
export function FeatureList({
  client,
  filter,
  selection,
  layerColors,
  onSelect,
  onToggle,
  onOpenTable,
}: {
  client: MeridianClient | null;
  filter: FeatureFilterState;
  selection: readonly string[];
  layerColors: ReadonlyMap<string, string>;
  onSelect(id: string): void;
  /** Shift-, Ctrl- or Cmd-click: add to the selection or take out of it. */
  onToggle(id: string): void;
  onOpenTable(): void;
}) {
  const selected = selection.length === 1 ? (selection[0] ?? null) : null;
  const { matches, total } = filter;
  const scroller = useRef<HTMLDivElement>(null);
  const rows = useVirtualizer({
    count: matches.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_PX,
    overscan: 6,
    getItemKey: (index) => matches[index]?.id ?? index,
  });

  // A feature selected on the map is brought into the list's view.
  // biome-ignore lint/correctness/useExhaustiveDependencies: only a new selection scrolls, not every change of the list.
  useEffect(() => {
    if (!selected) return;
    const index = matches.findIndex((feature) => feature.id === selected);
    if (index >= 0) rows.scrollToIndex(index, { align: 'auto' });
  }, [selected]);

  return (
    <section
      className="feature-list"
      aria-label="Features on this map"
      data-testid="feature-list"
      data-count={total}
    >
      <div className="feature-list-head">
        <h2>
          Features <span className="muted">({count(total)})</span>
        </h2>
        {total > 0 ? (
          <button
            type="button"
            className="small"
            data-testid="open-table"
            title="Show the listed features' properties as a table"
            onClick={onOpenTable}
          >
            Table
          </button>
        ) : null}
      </div>
      {total > 0 ? (
        <div className="feature-filter-row">
          <input
            type="search"
            className="feature-filter"
            placeholder={
              filter.field === ANY_FIELD ? 'Filter by title, description…' : `Filter by ${filter.field}…`
            }
            aria-label="Filter features"
            data-testid="feature-filter"
            value={filter.query}
            onChange={(event) => filter.setQuery(event.target.value)}
          />
          <select
            className="feature-filter-field"
            aria-label="Filter in"
            data-testid="feature-filter-field"
            value={filter.field}
            onFocus={filter.wantKeys}
            onPointerDown={filter.wantKeys}
            onChange={(event) => filter.setField(event.target.value)}
          >
            <option value={ANY_FIELD}>any field</option>
            {(filter.keys.includes(filter.field) || filter.field === ANY_FIELD
              ? filter.keys
              : [filter.field, ...filter.keys]
            ).map((key) => (
              <option key={key} value={key}>
                {key}
              </option>
            ))}
          </select>
        </div>
      ) : null}
      {total > 0 ? (
        <p className="muted" role="status" data-testid="feature-filter-count" data-count={matches.length}>
          {filter.filtering
            ? matches.length === 0
              ? 'No feature matches.'
              : `${count(matches.length)} of ${count(total)}`
            : `${count(total)} feature${total === 1 ? '' : 's'}, newest first`}
        </p>
      ) : (
        <p className="muted">Nothing here yet.</p>
      )}
      <div ref={scroller} className="feature-rows" data-testid="feature-rows">
        <ul style={{ height: rows.getTotalSize() }}>
          {rows.getVirtualItems().map((row) => {
            const feature = matches[row.index];
            if (!feature) return null;
            const [lng, lat] = anchorOf(feature.geometry);
            // A user layer's feature shows the layer's default colour; a feed entry its feed's.
            const userLayer = client?.layers.get(feature.properties.layer ?? '');
            const layer = userLayer?.kind === 'user' ? undefined : feature.properties.layer;
            const color = featureColor(
              userLayer?.kind === 'user' ? withLayerDefaults(feature, userLayer) : feature,
              layerColors,
            );
            return (
              <li key={row.key} style={{ transform: `translateY(${row.start}px)`, height: ROW_PX }}>
                <button
                  type="button"
                  className="feature-item"
                  aria-current={selection.includes(feature.id) ? 'true' : undefined}
                  data-testid={`feature-item-${feature.id}`}
                  data-feature-id={feature.id}
                  data-title={feature.properties.title ?? ''}
                  data-position={`${lng},${lat}`}
                  data-layer={feature.properties.layer ?? ''}
                  onClick={(event) =>
                    event.shiftKey || event.ctrlKey || event.metaKey
                      ? onToggle(feature.id)
                      : onSelect(feature.id)
                  }
                >
                  {/* A feed entry's swatch is a ring, like its symbol on the map. */}
                  <span
                    className={layer ? 'swatch feed' : 'swatch'}
                    style={layer ? { borderColor: color } : { background: color }}
                    aria-hidden="true"
                  />
                  <span className="name">
                    {feature.properties.title || `Untitled ${layer ? 'feed entry' : kindOf(feature)}`}
                  </span>
                  {layer ? (
                    <span className="muted feed-tag">{client?.layers.get(layer)?.name ?? 'feed'}</span>
                  ) : userLayer?.kind === 'user' ? (
                    <span className="muted feed-tag" data-testid="feature-item-layer">
                      {userLayer.name}
                    </span>
                  ) : null}
                </button>
              </li>
            );
          })}
        </ul>
      </div>
    </section>
  );
}
