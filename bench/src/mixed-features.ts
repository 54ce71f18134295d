import type { Feature } from '@meridian/protocol';

/** Points (a CSV of addresses), MultiPolygons (islands), 3D lines (GPX tracks), with free properties. */
export function mixedFeatures(count: number): Feature[] {
  return Array.from({ length: count }, (_, i): Feature => {
    const lng = ((i * 7.3) % 340) - 170;
    const lat = ((i * 3.1) % 160) - 80;
    const id = `f${i}`;
    if (i % 3 === 0) {
      return {
        type: 'Feature',
        id,
        geometry: { type: 'Point', coordinates: [lng, lat] },
        properties: { title: `Address ${i}`, street: `${i} Main St`, zip: 10_000 + (i % 9000) },
        version: 0,
      };
    }
    if (i % 3 === 1) {
      const square = (x: number): [number, number][] => [
        [x, lat],
        [x + 0.5, lat],
        [x + 0.5, lat + 0.5],
        [x, lat],
      ];
      return {
        type: 'Feature',
        id,
        geometry: { type: 'MultiPolygon', coordinates: [[square(lng)], [square(lng + 1)]] },
        properties: { name: `Islands ${i}`, population: i * 13, fill: '#0a0' },
        version: 0,
      };
    }
    return {
      type: 'Feature',
      id,
      geometry: {
        type: 'LineString',
        coordinates: Array.from({ length: 20 }, (_, k): [number, number, number] => [
          lng + k * 0.01,
          lat,
          100 + k,
        ]),
      },
      properties: { track: `Run ${i}`, stroke: '#123456', 'stroke-width': 3 },
      version: 0,
    };
  });
}
