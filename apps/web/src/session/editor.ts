import type { FeatureProperties, FeaturePropertiesPatch, Geometry, Op, UserLayer } from '@meridian/protocol';
import { importChunks, type MeridianClient, randomId } from '@meridian/protocol/client';
import type { ImportedFeature } from '../features/geojson-io.ts';
import { UndoHistory, type UndoState } from '../features/undo-history.ts';
import { isFeedEntry, orderOnTop } from '../layers/user-layers.ts';

const newFeatureId = () => `f-${randomId(16)}`;
const newLayerId = () => `l-${randomId(10)}`;

type EditorClient = Pick<MeridianClient, 'submit' | 'mapName' | 'features' | 'layers'>;

/**
 * Every edit this person makes goes through here: it is recorded for undo, then submitted to the
 * client, which shows it at once and sends it at the pace the server accepts (a big import or its
 * undo is paced there, not here), or queues it while offline.
 */
export class Editor {
  readonly #client: EditorClient;
  readonly #history = new UndoHistory(newFeatureId, newLayerId);
  readonly #listeners = new Set<() => void>();
  #version = 0;

  constructor(client: EditorClient) {
    this.#client = client;
  }

  get canUndo(): boolean {
    return this.#history.canUndo;
  }

  get canRedo(): boolean {
    return this.#history.canRedo;
  }

  /** Changes whenever undo/redo availability may have changed (for useSyncExternalStore). */
  get version(): number {
    return this.#version;
  }

  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  create(geometry: Geometry, properties: FeatureProperties = {}): string {
    const id = newFeatureId();
    this.#perform([
      { kind: 'feature.create', feature: { type: 'Feature', id, geometry, properties, version: 0 } },
    ]);
    return id;
  }

  // Feed entries are the feed's: the next delivery would overwrite an edit, so none is made.
  update(id: string, properties: FeaturePropertiesPatch, coalesceKey?: string): void {
    this.updateMany([id], properties, coalesceKey);
  }

  /**
   * One patch on several features (a selection's style): one op per feature, one undo step.
   * Successive calls with the same `coalesceKey` (one slider drag) are one undo step too.
   */
  updateMany(ids: readonly string[], properties: FeaturePropertiesPatch, coalesceKey?: string): void {
    const ops: Op[] = ids
      .filter((id) => !this.#isFeed(id))
      .map((id) => ({ kind: 'feature.update', id, properties }));
    if (ops.length > 0) this.#perform(ops, coalesceKey);
  }

  move(id: string, geometry: Geometry): void {
    if (!this.#isFeed(id)) this.#perform([{ kind: 'feature.move', id, geometry }]);
  }

  remove(id: string): void {
    if (!this.#isFeed(id)) this.#perform([{ kind: 'feature.delete', id }]);
  }

  /** Add a live-feed layer (the URL and name already validated); returns its id. */
  addLayer(url: string, name: string): string {
    const id = newLayerId();
    this.#perform([{ kind: 'layer.add', layer: { id, kind: 'feed', url, name } }]);
    return id;
  }

  /** Add a user layer on top of the others; returns its id. */
  addUserLayer(name: string): string {
    const id = newLayerId();
    const order = orderOnTop(this.#client.layers);
    this.#perform([{ kind: 'layer.add', layer: { id, kind: 'user', name, order, style: {} } }]);
    return id;
  }

  /** Rename, restyle or reorder a user layer. */
  updateLayer(id: string, change: Partial<Pick<UserLayer, 'name' | 'style' | 'order'>>): void {
    this.#perform([{ kind: 'layer.update', id, ...change }]);
  }

  /** Move a feature into a user layer, or out of any (null). */
  moveToLayer(id: string, layerId: string | null): void {
    this.update(id, { layer: layerId });
  }

  removeLayer(id: string): void {
    this.#perform([{ kind: 'layer.remove', id }]);
  }

  rename(name: string): void {
    this.#perform([{ kind: 'map.rename', name }]);
  }

  /**
   * Create many features as one undoable step: `features.import` chunks that each fit in a frame
   * and commit atomically (one seq each), so 100,000 features are some 800 ops, not 100,000. Its
   * undo deletes them in `features.delete` chunks. Throws MeridianError(FRAME_TOO_LARGE) for a
   * feature too big for any frame, before anything is submitted.
   */
  importFeatures(features: readonly ImportedFeature[]): string[] {
    const ops = importChunks(
      features.map(({ geometry, properties }) => ({
        type: 'Feature' as const,
        id: newFeatureId(),
        geometry,
        properties,
        version: 0,
      })),
    );
    this.#perform(ops);
    return ops.flatMap((op) => op.features.map((f) => f.id));
  }

  undo(): boolean {
    return this.#submit(this.#history.undo(this.#state()));
  }

  redo(): boolean {
    return this.#submit(this.#history.redo(this.#state()));
  }

  #isFeed(id: string): boolean {
    const state = this.#state();
    return isFeedEntry(state.features.get(id), state.layers);
  }

  /** The state an edit applies to: the client's optimistic view, which already shows every edit made. */
  #state(): UndoState {
    const client = this.#client;
    return { name: client.mapName, features: client.features, layers: client.layers };
  }

  #perform(ops: Op[], coalesceKey?: string): void {
    this.#history.record(ops, this.#state(), coalesceKey);
    this.#submit(ops);
  }

  #submit(ops: Op[]): boolean {
    for (const op of ops) this.#client.submit(op);
    this.#version++;
    for (const listener of this.#listeners) listener();
    return ops.length > 0;
  }
}
