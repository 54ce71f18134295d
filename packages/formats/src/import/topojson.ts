import { feature } from 'topojson-client';
import type { Topology } from 'topojson-specification';
import { FormatError, featureLabel, isRecord, type ReadResult } from './candidate.ts';

/** A parsed JSON value that is a TopoJSON topology. */
export const isTopology = (data: unknown): data is Topology =>
  isRecord(data) && data.type === 'Topology' && isRecord(data.objects) && Array.isArray(data.arcs);

/**
 * Every object of a topology (countries and land alike), as features: a GeometryCollection object
 * gives one feature per member, any other object one feature. Labels name the object.
 */
export function readTopology(topology: Topology): ReadResult {
  const result: ReadResult = { candidates: [], problems: [] };
  for (const [name, object] of Object.entries(topology.objects)) {
    let converted: ReturnType<typeof feature>;
    try {
      converted = feature(topology, object);
    } catch (error) {
      throw new FormatError(`TopoJSON object "${name}" cannot be read: ${(error as Error).message}`);
    }
    const features = converted.type === 'FeatureCollection' ? converted.features : [converted];
    features.forEach((f, index) => {
      result.candidates.push({
        geometry: f.geometry,
        properties: f.properties ?? {},
        where: `${name}: ${featureLabel(index, f.id)}`,
      });
    });
  }
  return result;
}
