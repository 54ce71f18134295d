import type { Feature } from '@meridian/protocol';
import type { Feature as GeoJsonFeature, Geometry as GeoJsonGeometry } from 'geojson';

/** Colour of a feature that has none of its own. */
export const DEFAULT_FEATURE_COLOR = '#2563eb';

/** Which map source a feature is drawn from: points are clustered, lines and polygons are not. */
export type FeatureBucket = 'points' | 'shapes';

export const bucketOf = (feature: Feature): FeatureBucket =>
  feature.geometry.type === 'Point' ? 'points' : 'shapes';

/** Only what the layers need; text is drawn by MapLibre as text, never parsed as markup. */
export interface RenderProperties {
  fid: string;
  title: string;
  color: string;
}

export type RenderFeature = GeoJsonFeature<GeoJsonGeometry, RenderProperties> & { id: string };

export function renderProperties(feature: Feature): RenderProperties {
  return {
    fid: feature.id,
    title: feature.properties.title ?? '',
    color: feature.properties.color ?? DEFAULT_FEATURE_COLOR,
  };
}

export function toRenderFeature(feature: Feature): RenderFeature {
  return {
    type: 'Feature',
    id: feature.id,
    geometry: feature.geometry,
    properties: renderProperties(feature),
  };
}
