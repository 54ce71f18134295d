import { ErrorCode } from './codes.ts';
import type { FeatureProperties } from './geo.ts';
import { LIMITS } from './limits.ts';
import { isUserLayer, type Layer, type Op, type UserLayer } from './messages/common.ts';

/** The slice of a map state the layer rules read (state.ts's MapState has it). */
interface LayerView {
  features: ReadonlyMap<string, { properties: FeatureProperties }>;
  layers: ReadonlyMap<string, Layer>;
}

export interface LayerRefusal {
  ok: false;
  code:
    | typeof ErrorCode.FORBIDDEN
    | typeof ErrorCode.LAYER_NOT_FOUND
    | typeof ErrorCode.TOO_MANY_LAYERS
    | typeof ErrorCode.INVALID_OP;
  message: string;
}

const refuse = (code: LayerRefusal['code'], message: string): LayerRefusal => ({ ok: false, code, message });

/**
 * Whether applying `op` needs the map's layers (and, for an update, the feature's current layer):
 * ops that put features into a layer or take them out. The database loads the layers only then.
 */
export function opReadsLayers(op: Op): boolean {
  switch (op.kind) {
    case 'feature.create':
      return op.feature.properties.layer != null;
    case 'features.import':
      return op.features.some((f) => f.properties.layer != null);
    case 'feature.update':
      return 'layer' in op.properties;
    default:
      return false;
  }
}

/** Why a feature may not be put in layer `layerId` by a person, or null when it may. */
function joinRefusal(state: LayerView, layerId: string, featureId: string): LayerRefusal | null {
  const layer = state.layers.get(layerId);
  if (!layer) return refuse(ErrorCode.LAYER_NOT_FOUND, `no layer ${layerId} on this map`);
  if (!isUserLayer(layer))
    return refuse(
      ErrorCode.FORBIDDEN,
      `feature ${featureId}: ${layerId} is a live-feed layer, whose features only its feed brings`,
    );
  return null;
}

/**
 * Why a person's feature op breaks the layer rules, or null when it keeps them: a feature joins
 * only an existing user layer, and a live-feed entry never leaves its feed layer (feeds keep their
 * features server-managed). Server-made `layer.entries` do not come through here.
 */
export function layerMembershipRefusal(state: LayerView, op: Op): LayerRefusal | null {
  switch (op.kind) {
    case 'feature.create': {
      const target = op.feature.properties.layer;
      return target == null ? null : joinRefusal(state, target, op.feature.id);
    }
    case 'features.import': {
      for (const feature of op.features) {
        const target = feature.properties.layer;
        const refused = target == null ? null : joinRefusal(state, target, feature.id);
        if (refused) return refused;
      }
      return null;
    }
    case 'feature.update': {
      if (!('layer' in op.properties)) return null;
      const current = state.features.get(op.id)?.properties.layer;
      const target = op.properties.layer;
      if (current === target) return null;
      if (current != null && state.layers.get(current)?.kind === 'feed')
        return refuse(
          ErrorCode.FORBIDDEN,
          `feature ${op.id} is an entry of the live-feed layer ${current}: it stays there`,
        );
      return target == null ? null : joinRefusal(state, target, op.id);
    }
    default:
      return null;
  }
}

/** How many layers of a kind a map has. */
export function countLayers(layers: ReadonlyMap<string, Layer>, kind: Layer['kind']): number {
  let count = 0;
  for (const layer of layers.values()) if (layer.kind === kind) count++;
  return count;
}

/** Why a new layer cannot be added next to `layers`, or null. */
export function addLayerRefusal(layers: ReadonlyMap<string, Layer>, layer: Layer): LayerRefusal | null {
  const max = layer.kind === 'feed' ? LIMITS.MAX_LAYERS_PER_MAP : LIMITS.MAX_USER_LAYERS_PER_MAP;
  if (countLayers(layers, layer.kind) >= max)
    return refuse(
      ErrorCode.TOO_MANY_LAYERS,
      `a map has at most ${max} ${layer.kind === 'feed' ? 'live' : 'user'} layers`,
    );
  return null;
}

/** A user layer with a `layer.update` applied, or why it cannot be. */
export function updatedLayer(
  layers: ReadonlyMap<string, Layer>,
  op: Extract<Op, { kind: 'layer.update' }>,
): UserLayer | LayerRefusal {
  const layer = layers.get(op.id);
  if (!layer) return refuse(ErrorCode.LAYER_NOT_FOUND, `no layer ${op.id} on this map`);
  if (!isUserLayer(layer))
    return refuse(ErrorCode.INVALID_OP, `${op.id} is a live-feed layer: only user layers are updated`);
  return {
    ...layer,
    ...(op.name === undefined ? {} : { name: op.name }),
    ...(op.style === undefined ? {} : { style: op.style }),
    ...(op.order === undefined ? {} : { order: op.order }),
  };
}

/** The user layers in drawing order, bottom first (ties by id, so every replica agrees). */
export function userLayersInOrder(layers: Iterable<Layer>): UserLayer[] {
  return [...layers]
    .filter(isUserLayer)
    .sort((a, b) => a.order - b.order || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
