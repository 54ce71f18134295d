import { LIMITS } from './limits.ts';
import type { BusMessage } from './messages/bus.ts';
import type { ServerMessage } from './messages/server.ts';

/**
 * Receiving an import's records without validating every feature again. The server validated
 * each feature of a `features.import` when it arrived (one zod pass, in `parseClientMessage`) and
 * is the authority on what a map holds; a client re-running the full geometry and properties
 * validation over 100,000 features spent most of its CPU on it during an import, and every node
 * of a cluster did the same to each record it heard on the bus (its own included). So a server or bus
 * message carrying such records has their features taken out before the schema runs (a stand-in
 * keeps the record's shape valid), and put back after a structural check that still refuses, as a
 * typed INVALID_MESSAGE, anything that is not a feature list: a malformed record from a faulty
 * server is an error, never a corrupted replica.
 */

/** One import's features taken out of a record: where the record sits, and the features. */
interface Detached {
  /** Index of the record in a `replay`'s `ops`; -1 for an `op` message's `record`. */
  index: number;
  features: unknown[];
}

export type DetachedFeatures = Detached[];

/** A feature the schema accepts, in place of an import's features while the record is validated. */
const STAND_IN = Object.freeze({
  type: 'Feature',
  id: 'stand-in',
  geometry: { type: 'Point', coordinates: [0, 0] },
  properties: {},
  version: 0,
});

function importFeaturesOf(record: unknown): unknown[] | null {
  if (typeof record !== 'object' || record === null) return null;
  const op = (record as { op?: unknown }).op;
  if (typeof op !== 'object' || op === null) return null;
  const { kind, features } = op as { kind?: unknown; features?: unknown };
  return kind === 'features.import' && Array.isArray(features) && features.length > 0 ? features : null;
}

/**
 * Take the features out of every import record of a server or bus message (`op`, `replay`), in place,
 * before the schema runs; null when there is none.
 */
export function detachImportedFeatures(data: object): DetachedFeatures | null {
  const message = data as { type?: unknown; record?: unknown; ops?: unknown };
  const records: [number, unknown][] =
    message.type === 'op'
      ? [[-1, message.record]]
      : message.type === 'replay' && Array.isArray(message.ops)
        ? message.ops.map((record, index): [number, unknown] => [index, record])
        : [];
  const detached: Detached[] = [];
  for (const [index, record] of records) {
    const features = importFeaturesOf(record);
    if (!features) continue;
    (record as { op: { features: unknown[] } }).op.features = [STAND_IN];
    detached.push({ index, features });
  }
  return detached.length > 0 ? detached : null;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** What is wrong with one received feature's shape, or null. */
function shapeProblem(value: unknown): string | null {
  if (!isObject(value) || value.type !== 'Feature') return 'expected a Feature';
  const { id, geometry, properties, version } = value;
  if (typeof id !== 'string' || id.length === 0 || id.length > LIMITS.MAX_ID_CHARS)
    return 'id: expected an id';
  if (!isObject(geometry) || typeof geometry.type !== 'string') return 'geometry: expected a geometry';
  if (!Array.isArray(geometry.coordinates) && !Array.isArray(geometry.geometries))
    return 'geometry: expected coordinates or geometries';
  if (!isObject(properties)) return 'properties: expected an object';
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 0)
    return 'version: expected a count';
  return null;
}

/**
 * Put the detached features back into the validated message, each checked for its shape; the
 * first problem (with its path) when one is not a feature.
 */
export function reattachImportedFeatures(
  message: ServerMessage | BusMessage,
  detached: DetachedFeatures,
): { path: string; message: string } | null {
  for (const { index, features } of detached) {
    const record =
      message.type === 'op' ? message.record : message.type === 'replay' ? message.ops[index] : undefined;
    const where = index < 0 ? 'record.op.features' : `ops.${index}.op.features`;
    if (record?.op.kind !== 'features.import') return { path: where, message: 'expected an import' };
    if (features.length > LIMITS.MAX_IMPORT_FEATURES_PER_OP)
      return { path: where, message: `at most ${LIMITS.MAX_IMPORT_FEATURES_PER_OP} features` };
    for (const [i, feature] of features.entries()) {
      const problem = shapeProblem(feature);
      if (problem) return { path: `${where}.${i}`, message: problem };
    }
    record.op.features = features as typeof record.op.features;
  }
  return null;
}
