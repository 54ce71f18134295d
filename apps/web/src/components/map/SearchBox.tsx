'use client';

import type { Feature } from '@meridian/protocol';
import type { MeridianClient } from '@meridian/protocol/client';
import { useEffect, useId, useMemo, useState } from 'react';
import { searchFeatures } from '../../search/feature-search.ts';
import type { GeocoderKind, Place } from '../../search/geocoder.ts';
import { useClientVersion } from '../../session/use-client.ts';

/** Wait this long after the last keystroke before asking the geocoder (Photon only). */
const PLACE_SEARCH_DEBOUNCE_MS = 350;
const MIN_PLACE_QUERY_CHARS = 3;
const MAX_FEATURE_RESULTS = 6;

export interface GeocoderInfo {
  kind: GeocoderKind;
  attribution: string;
}

type PlaceState =
  | { kind: 'idle' }
  | { kind: 'loading' }
  | { kind: 'done'; query: string; places: Place[]; attribution: string }
  | { kind: 'error'; message: string };

const KIND: Record<Feature['geometry']['type'], string> = {
  Point: 'marker',
  MultiPoint: 'markers',
  LineString: 'line',
  MultiLineString: 'lines',
  Polygon: 'area',
  MultiPolygon: 'areas',
  GeometryCollection: 'shapes',
};

/**
 * One box for the map's own features (title, description, properties) and for places (through the
 * configured geocoder). Photon is asked as you type (debounced, the previous request cancelled);
 * Nominatim, whose policy forbids autocomplete, only when Enter is pressed.
 */
export function SearchBox({
  client,
  geocoder,
  onFeature,
  onPlace,
}: {
  client: MeridianClient | null;
  geocoder: GeocoderInfo | null;
  onFeature(id: string): void;
  onPlace(place: Place): void;
}) {
  const [query, setQuery] = useState('');
  const [open, setOpen] = useState(false);
  const [places, setPlaces] = useState<PlaceState>({ kind: 'idle' });
  const [submitted, setSubmitted] = useState<string | null>(null);
  const listId = useId();
  const version = useClientVersion(client, ['featuresChanged']);
  const features = useMemo(
    () =>
      version >= 0 && client ? searchFeatures(client.features.values(), query, MAX_FEATURE_RESULTS) : [],
    [client, query, version],
  );

  const asYouType = geocoder?.kind === 'photon';
  const placeQuery = query.trim();
  const wanted =
    geocoder !== null &&
    placeQuery.length >= MIN_PLACE_QUERY_CHARS &&
    (asYouType || submitted === placeQuery);

  useEffect(() => {
    if (!wanted) {
      setPlaces({ kind: 'idle' });
      return;
    }
    const controller = new AbortController();
    const timer = setTimeout(
      async () => {
        setPlaces({ kind: 'loading' });
        try {
          const response = await fetch(`/api/geocode?q=${encodeURIComponent(placeQuery)}`, {
            signal: controller.signal,
          });
          const body = (await response.json()) as { places?: Place[]; attribution?: string; error?: string };
          if (!response.ok || !body.places) throw new Error(body.error ?? `HTTP ${response.status}`);
          setPlaces({
            kind: 'done',
            query: placeQuery,
            places: body.places,
            attribution: body.attribution ?? '',
          });
        } catch (error) {
          if (controller.signal.aborted) return;
          setPlaces({ kind: 'error', message: error instanceof Error ? error.message : String(error) });
        }
      },
      asYouType ? PLACE_SEARCH_DEBOUNCE_MS : 0,
    );
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [wanted, placeQuery, asYouType]);

  const choose = (action: () => void) => {
    action();
    setOpen(false);
  };

  const first = () => {
    const feature = features[0];
    if (feature) return choose(() => onFeature(feature.id));
    if (places.kind === 'done' && places.query === placeQuery && places.places[0]) {
      const place = places.places[0];
      return choose(() => onPlace(place));
    }
    if (geocoder && !asYouType) setSubmitted(placeQuery);
  };

  const showList = open && query.trim() !== '';

  return (
    <div className="search" data-testid="search">
      <input
        type="search"
        className="search-input"
        role="combobox"
        aria-autocomplete="list"
        placeholder={geocoder ? 'Search places and features' : 'Search features'}
        aria-label={geocoder ? 'Search places and features' : 'Search features'}
        aria-controls={listId}
        aria-expanded={showList}
        data-testid="search-input"
        value={query}
        onChange={(event) => {
          setQuery(event.target.value);
          setOpen(true);
        }}
        onFocus={() => setOpen(true)}
        onKeyDown={(event) => {
          if (event.key === 'Enter') first();
          if (event.key === 'Escape') setOpen(false);
        }}
      />
      {showList ? (
        <div className="search-results" id={listId} data-testid="search-results">
          {features.length > 0 ? <h3>On this map</h3> : null}
          <ul>
            {features.map((feature) => (
              <li key={feature.id}>
                <button
                  type="button"
                  data-testid="search-feature-result"
                  data-feature-id={feature.id}
                  onClick={() => choose(() => onFeature(feature.id))}
                >
                  {feature.properties.title || `Untitled ${KIND[feature.geometry.type]}`}
                  {feature.properties.description ? (
                    <span className="muted"> · {feature.properties.description.slice(0, 60)}</span>
                  ) : null}
                </button>
              </li>
            ))}
          </ul>
          {geocoder ? (
            <PlaceResults state={places} onPlace={(place) => choose(() => onPlace(place))} />
          ) : null}
          {geocoder && !asYouType && places.kind === 'idle' && placeQuery.length >= MIN_PLACE_QUERY_CHARS ? (
            <p className="muted">Press Enter to search places.</p>
          ) : null}
          {features.length === 0 && !geocoder ? <p className="muted">No feature matches.</p> : null}
        </div>
      ) : null}
    </div>
  );
}

function PlaceResults({ state, onPlace }: { state: PlaceState; onPlace(place: Place): void }) {
  if (state.kind === 'idle') return null;
  if (state.kind === 'loading') return <p className="muted">Searching places…</p>;
  if (state.kind === 'error')
    return (
      <p className="error" data-testid="search-place-error">
        {state.message}
      </p>
    );
  return (
    <>
      <h3>Places</h3>
      {state.places.length === 0 ? <p className="muted">No place found.</p> : null}
      <ul>
        {state.places.map((place) => (
          <li key={`${place.lng},${place.lat},${place.name}`}>
            <button
              type="button"
              data-testid="search-place-result"
              data-lng={place.lng}
              data-lat={place.lat}
              onClick={() => onPlace(place)}
            >
              {place.name}
              {place.detail ? <span className="muted"> · {place.detail}</span> : null}
            </button>
          </li>
        ))}
      </ul>
      <p className="search-attribution muted" data-testid="search-attribution">
        {state.attribution}
      </p>
    </>
  );
}
