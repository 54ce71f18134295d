import type { ImportedFeature } from '@meridian/formats';
import {
  type Feature,
  type FeatureProperties,
  type FeaturePropertiesPatch,
  type Geometry,
  LIMITS,
  type Op,
  type UserLayer,
} from '@meridian/protocol';
import { type ImportProgress, type MeridianClient, randomId } from '@meridian/protocol/client';
import { UndoHistory, type UndoState } from '../features/undo-history.ts';
import { isFeedEntry, orderOnTop } from '../layers/user-layers.ts';

const newFeatureId = () => `f-${randomId(16)}`;
const newLayerId = () => `l-${randomId(10)}`;

type EditorClient = Pick<MeridianClient, 'submit' | 'importFeatures' | 'mapName' | 'features' | 'layers'>;

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

  /**
   * Imports still being sent. An undo or redo asked meanwhile waits for them: undoing an import
   * whose later chunks are not yet sent would delete only part of it, and the rest would arrive.
   */
  #importsInFlight = 0;
  #waiting: ('undo' | 'redo')[] = [];

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
  updateLayer(
    id: string,
    change: Partial<Pick<UserLayer, 'name' | 'style' | 'order'>>,
    coalesceKey?: string,
  ): void {
    this.#perform([{ kind: 'layer.update', id, ...change }], coalesceKey);
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
   * Create many features as one undoable step, through the client's bulk import (`features.import`
   * chunks, each one commit). `done` settles when every chunk is committed, or rejects on a final
   * refusal; `onProgress` follows the commits.
   */
  importFeatures(
    features: readonly ImportedFeature[],
    onProgress?: (progress: ImportProgress) => void,
  ): { ids: string[]; done: Promise<unknown> } {
    const created: Feature[] = features.map(({ geometry, properties }) => ({
      type: 'Feature',
      id: newFeatureId(),
      geometry,
      properties,
      version: 0,
    }));
    // Recorded as import ops of at most MAX_IMPORT_FEATURES_PER_OP, so the undo is
    // `features.delete` ops that each stay within MAX_DELETE_IDS_PER_OP.
    const recorded: Op[] = [];
    for (let i = 0; i < created.length; i += LIMITS.MAX_IMPORT_FEATURES_PER_OP)
      recorded.push({
        kind: 'features.import',
        features: created.slice(i, i + LIMITS.MAX_IMPORT_FEATURES_PER_OP),
      });
    this.#history.record(recorded, this.#state());
    this.#importsInFlight++;
    // Their geometry and properties were validated with the protocol's schemas when the file was
    // checked (formats' `checkImport`, in a worker); ids and versions are made here.
    const options = { validated: true, ...(onProgress ? { onProgress } : {}) };
    const done = this.#client.importFeatures(created, options).finally(() => {
      this.#importsInFlight--;
      if (this.#importsInFlight === 0)
        for (const step of this.#waiting.splice(0)) step === 'undo' ? this.undo() : this.redo();
      this.#changed();
    });
    this.#changed();
    return { ids: created.map((f) => f.id), done };
  }

  undo(): boolean {
    if (this.#importsInFlight > 0 && this.#history.canUndo) return this.#waiting.push('undo') > 0;
    return this.#submit(this.#history.undo(this.#state()));
  }

  redo(): boolean {
    if (this.#importsInFlight > 0 && this.#history.canRedo) return this.#waiting.push('redo') > 0;
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
    this.#changed();
    return ops.length > 0;
  }

  #changed(): void {
    this.#version++;
    for (const listener of this.#listeners) listener();
  }
}
