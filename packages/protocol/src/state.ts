import { ErrorCode } from './codes.ts';
import type { Feature, FeatureProperties } from './geo.ts';
import type { Op } from './messages/common.ts';

/** The durable state of one map, as every client and the server agree on it at a given seq. */
export interface MapState {
  name: string;
  features: Map<string, Feature>;
}

export type ApplyResult =
  | { ok: true; feature?: Feature; removed?: string }
  | {
      ok: false;
      code: typeof ErrorCode.FEATURE_NOT_FOUND | typeof ErrorCode.FEATURE_EXISTS;
      message: string;
    };

export function createMapState(name: string, features: Iterable<Feature> = []): MapState {
  return { name, features: new Map(Array.from(features, (f) => [f.id, f])) };
}

function missing(id: string): ApplyResult {
  return { ok: false, code: ErrorCode.FEATURE_NOT_FOUND, message: `no feature ${id} on this map` };
}

/** Merge a property patch: a key set to null is removed, an absent key is kept (last writer wins per field). */
export function mergeProperties(
  current: FeatureProperties,
  patch: { [K in keyof FeatureProperties]?: FeatureProperties[K] | null },
): FeatureProperties {
  const next: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete next[key];
    else if (value !== undefined) next[key] = value;
  }
  return next as FeatureProperties;
}

/**
 * Apply one op to a map state in place. The same rules run on the server (inside the commit
 * transaction), in the client's confirmed state and in its optimistic view, so all three agree.
 */
export function applyOp(state: MapState, op: Op): ApplyResult {
  switch (op.kind) {
    case 'feature.create': {
      if (state.features.has(op.feature.id)) {
        return {
          ok: false,
          code: ErrorCode.FEATURE_EXISTS,
          message: `feature ${op.feature.id} already exists`,
        };
      }
      const feature: Feature = { ...op.feature, version: 1 };
      state.features.set(feature.id, feature);
      return { ok: true, feature };
    }
    case 'feature.update': {
      const current = state.features.get(op.id);
      if (!current) return missing(op.id);
      const feature: Feature = {
        ...current,
        properties: mergeProperties(current.properties, op.properties),
        version: current.version + 1,
      };
      state.features.set(op.id, feature);
      return { ok: true, feature };
    }
    case 'feature.move': {
      const current = state.features.get(op.id);
      if (!current) return missing(op.id);
      const feature: Feature = { ...current, geometry: op.geometry, version: current.version + 1 };
      state.features.set(op.id, feature);
      return { ok: true, feature };
    }
    case 'feature.delete': {
      if (!state.features.delete(op.id)) return missing(op.id);
      return { ok: true, removed: op.id };
    }
    case 'map.rename': {
      state.name = op.name;
      return { ok: true };
    }
  }
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A canonical text of a map state: equal states give equal text, whatever the insertion order. */
export function canonicalState(state: MapState): string {
  const features = [...state.features.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return canonical({ name: state.name, features });
}

/** A short hash of `canonicalState` (FNV-1a, 64-bit), for comparing replicas in tests and logs. */
export function stateHash(state: MapState): string {
  let hash = 0xcbf29ce484222325n;
  const text = canonicalState(state);
  for (let i = 0; i < text.length; i++) {
    hash ^= BigInt(text.charCodeAt(i));
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, '0');
}
