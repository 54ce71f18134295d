/// <reference path="../types/geojson-rewind.d.ts" />
import rewind from '@mapbox/geojson-rewind';
import type { Feature } from '@meridian/protocol';

/** A Meridian feature as plain RFC 7946 GeoJSON: id, geometry, every property (no version). */
export interface ExportedFeature {
  type: 'Feature';
  id: string;
  geometry: Feature['geometry'];
  properties: Feature['properties'];
}

export interface ExportedCollection {
  type: 'FeatureCollection';
  features: ExportedFeature[];
}

/**
 * The features as a FeatureCollection with RFC 7946 §3.1.6 winding (outer rings counter-clockwise,
 * holes clockwise, by @mapbox/geojson-rewind), ids, every property and altitudes kept. The map's
 * features are copied, never rewound in place.
 */
export function toGeoJsonCollection(features: Iterable<Feature>): ExportedCollection {
  const collection: ExportedCollection = {
    type: 'FeatureCollection',
    features: Array.from(features, (f) => ({
      type: 'Feature',
      id: f.id,
      geometry: structuredClone(f.geometry),
      properties: { ...f.properties },
    })),
  };
  return rewind(collection, false);
}

/** GeoJSON text of the features (see `toGeoJsonCollection`). */
export function exportGeoJson(features: Iterable<Feature>): string {
  return JSON.stringify(toGeoJsonCollection(features));
}
