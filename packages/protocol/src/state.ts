import { ErrorCode } from './codes.ts';
import {
  type Feature,
  type FeatureProperties,
  type FeaturePropertiesPatch,
  jsonPropertiesProblem,
} from './geo.ts';
import { addLayerRefusal, layerMembershipRefusal, updatedLayer } from './layer-rules.ts';
import type { Layer, Op } from './messages/common.ts';

/** The durable state of one map, as every client and the server agree on it at a given seq. */
export interface MapState {
  name: string;
  features: Map<string, Feature>;
  layers: Map<string, Layer>;
}

export type ApplyResult =
  | {
      ok: true;
      /** The feature a feature op created or changed. */
      feature?: Feature;
      /** The feature a `feature.delete` removed. */
      removed?: string;
      /** Features a `layer.entries` or `features.import` created or replaced. */
      upserted?: Feature[];
      /** Features a `layer.remove` or `features.delete` took off the map. */
      removedMany?: string[];
    }
  | {
      ok: false;
      code:
        | typeof ErrorCode.FEATURE_NOT_FOUND
        | typeof ErrorCode.FEATURE_EXISTS
        | typeof ErrorCode.LAYER_NOT_FOUND
        | typeof ErrorCode.LAYER_EXISTS
        | typeof ErrorCode.TOO_MANY_LAYERS
        | typeof ErrorCode.FORBIDDEN
        | typeof ErrorCode.INVALID_OP;
      message: string;
    };

export function createMapState(
  name: string,
  features: Iterable<Feature> = [],
  layers: Iterable<Layer> = [],
): MapState {
  return {
    name,
    features: new Map(Array.from(features, (f) => [f.id, f])),
    layers: new Map(Array.from(layers, (l) => [l.id, l])),
  };
}

/** A copy of a state whose maps can change without touching the original's. */
export function cloneMapState(state: MapState): MapState {
  return createMapState(state.name, state.features.values(), state.layers.values());
}

/** The ids of the features in a layer. */
export function layerFeatureIds(state: MapState, layerId: string): string[] {
  const ids: string[] = [];
  for (const feature of state.features.values())
    if (feature.properties.layer === layerId) ids.push(feature.id);
  return ids;
}

/**
 * The features an op would touch if applied to `state` now (call it before applying: a
 * `layer.remove` touches the layer's features as they are before it runs).
 */
export function touchedFeatureIds(state: MapState, op: Op): string[] {
  switch (op.kind) {
    case 'feature.create':
      return [op.feature.id];
    case 'map.rename':
    case 'layer.add':
      return [];
    case 'layer.remove':
      return layerFeatureIds(state, op.id);
    // A user layer's style and order are how its features are drawn.
    case 'layer.update':
      return layerFeatureIds(state, op.id);
    case 'layer.entries':
    case 'features.import':
      return op.features.map((f) => f.id);
    case 'features.delete':
      return op.ids;
    default:
      return [op.id];
  }
}

function missing(id: string): ApplyResult {
  return { ok: false, code: ErrorCode.FEATURE_NOT_FOUND, message: `no feature ${id} on this map` };
}

/** Merge a property patch: a key set to null is removed, an absent key is kept (last writer wins per key). */
export function mergeProperties(
  current: FeatureProperties,
  patch: FeaturePropertiesPatch,
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
  const layerRefusal = layerMembershipRefusal(state, op);
  if (layerRefusal) return layerRefusal;
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
      const properties = mergeProperties(current.properties, op.properties);
      // Each patch is bounded, but patches add up: the merged properties must be too.
      const problem = jsonPropertiesProblem(properties);
      if (problem) {
        return { ok: false, code: ErrorCode.INVALID_OP, message: `feature ${op.id}: ${problem.message}` };
      }
      const feature: Feature = { ...current, properties, version: current.version + 1 };
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
    case 'features.import': {
      const seen = new Set<string>();
      for (const { id } of op.features) {
        if (state.features.has(id) || seen.has(id)) {
          return { ok: false, code: ErrorCode.FEATURE_EXISTS, message: `feature ${id} already exists` };
        }
        seen.add(id);
      }
      const upserted = op.features.map((f): Feature => ({ ...f, version: 1 }));
      for (const feature of upserted) state.features.set(feature.id, feature);
      return { ok: true, upserted };
    }
    case 'features.delete': {
      const removedMany = [...new Set(op.ids)].filter((id) => state.features.has(id));
      if (removedMany.length === 0) {
        return {
          ok: false,
          code: ErrorCode.FEATURE_NOT_FOUND,
          message: 'none of these features is on this map',
        };
      }
      for (const id of removedMany) state.features.delete(id);
      return { ok: true, removedMany };
    }
    case 'map.rename': {
      state.name = op.name;
      return { ok: true };
    }
    case 'layer.add': {
      if (state.layers.has(op.layer.id)) {
        return { ok: false, code: ErrorCode.LAYER_EXISTS, message: `layer ${op.layer.id} already exists` };
      }
      const refused = addLayerRefusal(state.layers, op.layer);
      if (refused) return refused;
      state.layers.set(op.layer.id, op.layer);
      return { ok: true };
    }
    case 'layer.update': {
      const layer = updatedLayer(state.layers, op);
      if ('ok' in layer) return layer;
      state.layers.set(layer.id, layer);
      return { ok: true };
    }
    case 'layer.remove': {
      if (!state.layers.delete(op.id)) {
        return { ok: false, code: ErrorCode.LAYER_NOT_FOUND, message: `no layer ${op.id} on this map` };
      }
      const removedMany = layerFeatureIds(state, op.id);
      for (const id of removedMany) state.features.delete(id);
      return { ok: true, removedMany };
    }
    case 'layer.entries': {
      const layer = state.layers.get(op.layerId);
      if (!layer) {
        return { ok: false, code: ErrorCode.LAYER_NOT_FOUND, message: `no layer ${op.layerId} on this map` };
      }
      if (layer.kind !== 'feed') {
        return { ok: false, code: ErrorCode.INVALID_OP, message: `${op.layerId} is not a live-feed layer` };
      }
      // Whole replacement: a feed entry is the feed's, so its latest version wins outright.
      const upserted = op.features.map((entry): Feature => {
        const current = state.features.get(entry.id);
        return {
          ...entry,
          properties: { ...entry.properties, layer: op.layerId },
          version: (current?.version ?? 0) + 1,
        };
      });
      for (const feature of upserted) state.features.set(feature.id, feature);
      return { ok: true, upserted };
    }
  }
}

/** JSON with object keys sorted and undefined members left out: equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A canonical text of a map state: equal states give equal text, whatever the insertion order. */
export function canonicalState(state: MapState): string {
  const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const features = [...state.features.values()].sort(byId);
  const layers = [...state.layers.values()].sort(byId);
  // Layers only enter the text when there are some, so hashes of maps without layers are unchanged.
  return canonicalJson(
    layers.length > 0 ? { name: state.name, features, layers } : { name: state.name, features },
  );
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
