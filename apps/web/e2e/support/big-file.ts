/**
 * The big import's test data, shared by the browser test and the browser import benchmark: a
 * GeoJSON file as people bring them.
 */

/** A GeoJSON file of `count` mixed features: CSV-like points, two-island MultiPolygons, 3D tracks. */
export function featureCollection(count: number): string {
  const features = Array.from({ length: count }, (_, i) => {
    const lng = ((i * 7.3) % 340) - 170;
    const lat = ((i * 3.1) % 160) - 80;
    if (i % 3 === 0)
      return {
        type: 'Feature',
        geometry: { type: 'Point', coordinates: [lng, lat] },
        properties: { title: `Address ${i}`, street: `${i} Main St`, zip: 10_000 + (i % 9000) },
      };
    const square = (x: number) => [
      [x, lat],
      [x + 0.5, lat],
      [x + 0.5, lat + 0.5],
      [x, lat],
    ];
    if (i % 3 === 1)
      return {
        type: 'Feature',
        geometry: { type: 'MultiPolygon', coordinates: [[square(lng)], [square(lng + 1)]] },
        properties: { title: `Islands ${i}`, population: i * 13, fill: '#00aa00' },
      };
    return {
      type: 'Feature',
      geometry: {
        type: 'LineString',
        coordinates: Array.from({ length: 20 }, (_, k) => [lng + k * 0.01, lat, 100 + k]),
      },
      properties: { title: `Run ${i}`, stroke: '#123456', 'stroke-width': 3 },
    };
  });
  return JSON.stringify({ type: 'FeatureCollection', features });
}
