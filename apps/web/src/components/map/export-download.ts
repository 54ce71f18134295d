import { exportGeoJson, exportKml } from '@meridian/formats';
import type { Feature } from '@meridian/protocol';

export type ExportFormat = 'geojson' | 'kml';

const TYPES: Record<ExportFormat, string> = {
  geojson: 'application/geo+json',
  kml: 'application/vnd.google-earth.kml+xml',
};

/** Download the map's features as a file named after the map. */
export function downloadExport(features: Iterable<Feature>, mapName: string, format: ExportFormat): void {
  const text = format === 'kml' ? exportKml(features) : exportGeoJson(features);
  const url = URL.createObjectURL(new Blob([text], { type: TYPES[format] }));
  const link = document.createElement('a');
  link.href = url;
  link.download = `${mapName.replace(/[^\p{L}\p{N}_-]+/gu, '-') || 'map'}.${format}`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
