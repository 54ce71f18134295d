'use client';

import type { Feature } from '@meridian/protocol';
import type { MeridianClient } from '@meridian/protocol/client';
import { useState } from 'react';
import { anchorOf } from '../../features/geometry.ts';
import { featureColor } from '../../features/render-features.ts';
import { withLayerDefaults } from '../../layers/user-layers.ts';
import { searchFeatures } from '../../search/feature-search.ts';
import { useClientVersion } from '../../session/use-client.ts';

/** A list is for finding things; past this many, the map (and export) is the way to see them all. */
const MAX_LISTED = 100;

const KIND: Record<Feature['geometry']['type'], string> = {
  Point: 'marker',
  LineString: 'line',
  Polygon: 'area',
  MultiPoint: 'set of markers',
  MultiLineString: 'set of lines',
  MultiPolygon: 'set of areas',
  GeometryCollection: 'set of shapes',
};

/** The map's features as a keyboard- and screen-reader-friendly list. */
export function FeatureList({
  client,
  selected,
  layerColors,
  onSelect,
}: {
  client: MeridianClient | null;
  selected: string | null;
  layerColors: ReadonlyMap<string, string>;
  onSelect(id: string): void;
}) {
  useClientVersion(client, ['featuresChanged']);
  const [filter, setFilter] = useState('');
  const features = client ? client.features : new Map<string, Feature>();
  const filtering = filter.trim() !== '';
  // A filter looks through every feature, not only the latest ones listed.
  const matches = filtering ? searchFeatures(features.values(), filter, Number.POSITIVE_INFINITY) : null;
  const listed = matches ? matches.slice(0, MAX_LISTED) : [...features.values()].slice(-MAX_LISTED).reverse();
  return (
    <section
      className="feature-list"
      aria-label="Features on this map"
      data-testid="feature-list"
      data-count={features.size}
    >
      <h2>
        Features <span className="muted">({features.size})</span>
      </h2>
      {features.size > 0 ? (
        <input
          type="search"
          className="feature-filter"
          placeholder="Filter by title, description…"
          aria-label="Filter features"
          data-testid="feature-filter"
          value={filter}
          onChange={(event) => setFilter(event.target.value)}
        />
      ) : null}
      {matches ? (
        <p className="muted" data-testid="feature-filter-count" data-count={matches.length}>
          {matches.length === 0 ? 'No feature matches.' : `${matches.length} matching`}
        </p>
      ) : null}
      {features.size === 0 ? <p className="muted">Nothing here yet.</p> : null}
      <ul>
        {listed.map((feature) => {
          const [lng, lat] = anchorOf(feature.geometry);
          // A user layer's feature shows the layer's default colour; a feed entry its feed's.
          const userLayer = client?.layers.get(feature.properties.layer ?? '');
          const layer = userLayer?.kind === 'user' ? undefined : feature.properties.layer;
          const color = featureColor(
            userLayer?.kind === 'user' ? withLayerDefaults(feature, userLayer) : feature,
            layerColors,
          );
          return (
            <li key={feature.id}>
              <button
                type="button"
                className="feature-item"
                aria-current={selected === feature.id ? 'true' : undefined}
                data-testid={`feature-item-${feature.id}`}
                data-feature-id={feature.id}
                data-title={feature.properties.title ?? ''}
                data-position={`${lng},${lat}`}
                data-layer={feature.properties.layer ?? ''}
                onClick={() => onSelect(feature.id)}
              >
                {/* A feed entry's swatch is a ring, like its symbol on the map. */}
                <span
                  className={layer ? 'swatch feed' : 'swatch'}
                  style={layer ? { borderColor: color } : { background: color }}
                  aria-hidden="true"
                />
                <span className="name">
                  {feature.properties.title ||
                    `Untitled ${layer ? 'feed entry' : KIND[feature.geometry.type]}`}
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
      {!filtering && features.size > MAX_LISTED ? (
        <p className="muted">Showing the latest {MAX_LISTED}; filter to find any of them.</p>
      ) : null}
      {matches && matches.length > MAX_LISTED ? (
        <p className="muted">Showing the first {MAX_LISTED} matches.</p>
      ) : null}
    </section>
  );
}
