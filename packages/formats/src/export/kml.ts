import type { Feature, Position } from '@meridian/protocol';
import { toKML } from '@placemarkio/tokml';
import { toGeoJsonCollection } from './geojson.ts';

/** Every position of a geometry, in the order tokml writes its <coordinates> elements. */
function coordinateLists(geometry: Feature['geometry']): Position[][] {
  switch (geometry.type) {
    case 'Point':
      return [[geometry.coordinates]];
    case 'MultiPoint':
      return geometry.coordinates.map((p) => [p]);
    case 'LineString':
      return [geometry.coordinates];
    case 'MultiLineString':
    case 'Polygon':
      return geometry.coordinates;
    case 'MultiPolygon':
      return geometry.coordinates.flat();
    case 'GeometryCollection':
      return geometry.geometries.flatMap((g) => coordinateLists(g));
  }
}

const KML_COORDINATES = /<coordinates>[^<]*<\/coordinates>/g;

/**
 * KML of the features (@placemarkio/tokml): name and description as KML elements, every other
 * property (simplestyle keys included) as ExtendedData, multi-geometries as MultiGeometry.
 * tokml writes only longitude and latitude, so its <coordinates> are rewritten, in the same
 * order, with the altitudes (KML's `lng,lat,alt`) where a feature has them.
 */
export function exportKml(features: Iterable<Feature>): string {
  const collection = toGeoJsonCollection(features);
  const kml = toKML(collection);
  const lists = collection.features.flatMap((f) => coordinateLists(f.geometry));
  let index = 0;
  return kml.replace(KML_COORDINATES, (match) => {
    const positions = lists[index++];
    if (!positions?.some((p) => p.length > 2)) return match;
    const separator = positions.length === 1 ? '' : '\n';
    return `<coordinates>${positions.map((p) => p.join(',')).join(separator)}</coordinates>`;
  });
}
