import {
  applyOp,
  createMapState,
  type Feature,
  type FeaturePropertiesPatch,
  type Layer,
  type MapState,
  type Op,
} from '@meridian/protocol';
import { importChunks } from '@meridian/protocol/client';

/** The part of the map state undo needs to compute inverses. */
export interface UndoState {
  name: string;
  features: ReadonlyMap<string, Feature>;
  layers: ReadonlyMap<string, Layer>;
}

const MAX_ENTRIES = 200;

/**
 * Undo and redo of this person's own edits, as ops: undoing an op submits its inverse, so it is
 * shared, ordered by the server and itself undoable like any edit. Others' edits are never undone.
 *
 * Deleted ids are never reused on a map, so re-creating a feature (undo of a delete, redo of a
 * create) gives it a fresh id; later history entries that name the old id are followed to the new.
 * Layers work the same way: adding one is undone by removing it, and a removed layer comes back
 * under a fresh id: a live-feed layer with its entries refetched from the feed, a user layer with
 * its features re-imported (fresh ids, moved into the new layer). What the feed itself brings
 * (`layer.entries`, made by the server) is never recorded, and edits to feed entries are never made.
 */
export class UndoHistory {
  readonly #newId: () => string;
  readonly #newLayerId: () => string;
  #undo: Op[][] = [];
  #redo: Op[][] = [];
  readonly #renamed = new Map<string, string>();
  /** The coalescing key of the latest recorded edit (a slider drag), if it had one. */
  #coalesceKey: string | undefined;

  constructor(newId: () => string, newLayerId: () => string = newId) {
    this.#newId = newId;
    this.#newLayerId = newLayerId;
  }

  get canUndo(): boolean {
    return this.#undo.length > 0;
  }

  get canRedo(): boolean {
    return this.#redo.length > 0;
  }

  /**
   * Record a new edit made of `ops` (applied to `state` in order); it clears what could be redone.
   * Edits with the same `coalesceKey` one after another (the steps of one slider drag) make one
   * undo step, which restores what was there before the first of them.
   */
  record(ops: readonly Op[], state: UndoState, coalesceKey?: string): void {
    const inverse = inverseOf(ops, state);
    if (inverse.length === 0) return;
    const top = this.#undo.at(-1);
    if (top && coalesceKey !== undefined && coalesceKey === this.#coalesceKey) {
      this.#undo[this.#undo.length - 1] = mergeInverses(top, inverse);
      this.#redo = [];
      return;
    }
    this.#coalesceKey = coalesceKey;
    this.#undo.push(inverse);
    if (this.#undo.length > MAX_ENTRIES) this.#undo.shift();
    this.#redo = [];
  }

  /** The ops that undo the latest edit, or [] when there is nothing (left) to undo. */
  undo(state: UndoState): Op[] {
    return this.#step(this.#undo, this.#redo, state);
  }

  /** The ops that redo the latest undone edit, or []. */
  redo(state: UndoState): Op[] {
    return this.#step(this.#redo, this.#undo, state);
  }

  #step(from: Op[][], to: Op[][], state: UndoState): Op[] {
    this.#coalesceKey = undefined;
    while (from.length > 0) {
      const entry = from.pop() as Op[];
      const ops = entry.map((op) => this.#resolve(op));
      const inverse = inverseOf(ops, state);
      // An edit whose features others have deleted since cannot be undone; skip to the one before.
      if (inverse.length === 0) continue;
      to.push(inverse);
      return ops;
    }
    return [];
  }

  /** Follow ids through re-creations, and give re-created features a fresh id. */
  #resolve(op: Op): Op {
    const current = (id: string) => {
      let resolved = id;
      for (let next = this.#renamed.get(resolved); next; next = this.#renamed.get(resolved)) resolved = next;
      return resolved;
    };
    switch (op.kind) {
      case 'feature.create': {
        const id = this.#newId();
        this.#renamed.set(current(op.feature.id), id);
        return { ...op, feature: { ...op.feature, id } };
      }
      case 'layer.add': {
        const id = this.#newLayerId();
        this.#renamed.set(current(op.layer.id), id);
        return { ...op, layer: { ...op.layer, id } };
      }
      case 'features.import':
        // Like a re-created feature: each gets a fresh id (and follows its layer to a re-created one).
        return {
          ...op,
          features: op.features.map((feature) => {
            const id = this.#newId();
            this.#renamed.set(current(feature.id), id);
            const layer = feature.properties.layer;
            const properties =
              layer == null ? feature.properties : { ...feature.properties, layer: current(layer) };
            return { ...feature, id, properties };
          }),
        };
      case 'features.delete':
        return { ...op, ids: op.ids.map(current) };
      case 'map.rename':
      case 'layer.entries':
        return op;
      case 'feature.update': {
        const layer = op.properties.layer;
        const properties = layer == null ? op.properties : { ...op.properties, layer: current(layer) };
        return { ...op, id: current(op.id), properties };
      }
      case 'feature.move':
      case 'feature.delete':
      case 'layer.update':
      case 'layer.remove':
        return { ...op, id: current(op.id) };
    }
  }
}

/**
 * One undo step from two: `newer` reverts the later edit, `older` the earlier. A property the
 * earlier edit touched is restored to its value before it; one only the later touched was unchanged
 * by the earlier, so the later's restore value is right. Other ops revert in order, newest first.
 */
function mergeInverses(older: readonly Op[], newer: readonly Op[]): Op[] {
  const merged = [...older];
  const first: Op[] = [];
  for (const op of newer) {
    const index =
      op.kind === 'feature.update'
        ? merged.findIndex((o) => o.kind === 'feature.update' && o.id === op.id)
        : -1;
    const into = merged[index];
    if (op.kind === 'feature.update' && into?.kind === 'feature.update')
      merged[index] = { ...into, properties: { ...op.properties, ...into.properties } };
    else first.push(op);
  }
  return [...first, ...merged];
}

/** The ops that revert `ops`, in reverse order; ops that would not apply are left out. */
export function inverseOf(ops: readonly Op[], state: UndoState): Op[] {
  const scratch: MapState = createMapState(state.name, state.features.values(), state.layers.values());
  const inverse: Op[] = [];
  for (const op of ops) {
    const undo = inverseOfOne(op, scratch);
    if (!undo || !applyOp(scratch, op).ok) continue;
    inverse.unshift(...(Array.isArray(undo) ? undo : [undo]));
  }
  return inverse;
}

function isFeedEntry(state: MapState, id: string): boolean {
  const layer = state.features.get(id)?.properties.layer;
  return layer != null && state.layers.get(layer)?.kind !== 'user';
}

function inverseOfOne(op: Op, state: MapState): Op | Op[] | undefined {
  // Feed entries are the feed's: an edit of one is not this person's to undo (nor to make).
  if (op.kind.startsWith('feature.') && 'id' in op && isFeedEntry(state, op.id)) return undefined;
  switch (op.kind) {
    case 'feature.create':
      return state.features.has(op.feature.id) ? undefined : { kind: 'feature.delete', id: op.feature.id };
    case 'feature.update': {
      const before = state.features.get(op.id);
      if (!before) return undefined;
      const restore: Record<string, unknown> = {};
      for (const key of Object.keys(op.properties) as (keyof FeaturePropertiesPatch)[]) {
        restore[key] = before.properties[key] ?? null;
      }
      return { kind: 'feature.update', id: op.id, properties: restore as FeaturePropertiesPatch };
    }
    case 'feature.move': {
      const before = state.features.get(op.id);
      return before ? { kind: 'feature.move', id: op.id, geometry: before.geometry } : undefined;
    }
    case 'feature.delete': {
      const before = state.features.get(op.id);
      if (!before) return undefined;
      return {
        kind: 'feature.create',
        feature: {
          type: 'Feature',
          id: before.id,
          geometry: before.geometry,
          properties: before.properties,
          version: 0,
        },
      };
    }
    case 'map.rename':
      return { kind: 'map.rename', name: state.name };
    case 'layer.add':
      return state.layers.has(op.layer.id) ? undefined : { kind: 'layer.remove', id: op.layer.id };
    case 'layer.update': {
      const before = state.layers.get(op.id);
      if (before?.kind !== 'user') return undefined;
      return {
        kind: 'layer.update',
        id: op.id,
        ...(op.name === undefined ? {} : { name: before.name }),
        ...(op.style === undefined ? {} : { style: before.style }),
        ...(op.order === undefined ? {} : { order: before.order }),
      };
    }
    case 'layer.remove': {
      const before = state.layers.get(op.id);
      if (!before) return undefined;
      if (before.kind === 'feed') return { kind: 'layer.add', layer: before };
      // A user layer comes back with its features, re-imported in frame-sized chunks after it.
      const features = [...state.features.values()]
        .filter((f) => f.properties.layer === op.id)
        .map((f) => ({ ...f, version: 0 }));
      try {
        return [{ kind: 'layer.add', layer: before }, ...importChunks(features)];
      } catch {
        // A single feature too big for a frame cannot travel: bring back the layer alone.
        return { kind: 'layer.add', layer: before };
      }
    }
    case 'layer.entries':
      return undefined;
    // An import is undone in one step by deleting what it added, and that delete by re-importing
    // what is still there of it.
    case 'features.import': {
      const ids = op.features.filter((f) => !state.features.has(f.id)).map((f) => f.id);
      return ids.length > 0 ? { kind: 'features.delete', ids } : undefined;
    }
    case 'features.delete': {
      const features = [...new Set(op.ids)]
        .map((id) => state.features.get(id))
        .filter((f): f is Feature => f !== undefined && !isFeedEntry(state, f.id))
        .map((f) => ({ ...f, version: 0 }));
      return features.length > 0 ? { kind: 'features.import', features } : undefined;
    }
  }
}
