import {
  applyOp,
  createMapState,
  type FeatureProperties,
  type FeaturePropertiesPatch,
  type Geometry,
  type Op,
} from '@meridian/protocol';
import { type MeridianClient, randomId } from '@meridian/protocol/client';
import type { ImportedFeature } from '../features/geojson-io.ts';
import { isFeedFeature } from '../features/render-features.ts';
import { UndoHistory, type UndoState } from '../features/undo-history.ts';

const newFeatureId = () => `f-${randomId(16)}`;
const newLayerId = () => `l-${randomId(10)}`;

type EditorClient = Pick<MeridianClient, 'submit' | 'mapName' | 'features' | 'layers'>;

/**
 * Edits leave at most this fast. The realtime service rate-limits each connection (50 messages a
 * second by default, presence included) and refuses more than a few hundred queued requests, so a
 * big import or its undo is paced instead of being sent in one burst.
 */
export const OPS_BURST = 40;
export const OPS_PER_SECOND = 20;

/**
 * Every edit this person makes goes through here: it is recorded for undo, then submitted to the
 * client (which shows it at once and sends it, or queues it while offline).
 */
export class Editor {
  readonly #client: EditorClient;
  readonly #history = new UndoHistory(newFeatureId, newLayerId);
  readonly #listeners = new Set<() => void>();
  readonly #queue: Op[] = [];
  #tokens = OPS_BURST;
  #refilledAt = Date.now();
  #timer: ReturnType<typeof setTimeout> | null = null;
  #version = 0;

  constructor(client: EditorClient) {
    this.#client = client;
  }

  /** Edits waiting for their turn to be sent (a large import in progress). */
  get queued(): number {
    return this.#queue.length;
  }

  /** Stop sending queued edits (the page is going away). */
  dispose(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#queue.length = 0;
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
  update(id: string, properties: FeaturePropertiesPatch): void {
    if (!this.#isFeed(id)) this.#perform([{ kind: 'feature.update', id, properties }]);
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
    this.#perform([{ kind: 'layer.add', layer: { id, url, name } }]);
    return id;
  }

  removeLayer(id: string): void {
    this.#perform([{ kind: 'layer.remove', id }]);
  }

  rename(name: string): void {
    this.#perform([{ kind: 'map.rename', name }]);
  }

  /** Create many features as one undoable step. */
  importFeatures(features: readonly ImportedFeature[]): string[] {
    const ops: Op[] = features.map(({ geometry, properties }) => ({
      kind: 'feature.create',
      feature: { type: 'Feature', id: newFeatureId(), geometry, properties, version: 0 },
    }));
    this.#perform(ops);
    return ops.map((op) => (op.kind === 'feature.create' ? op.feature.id : ''));
  }

  undo(): boolean {
    return this.#submit(this.#history.undo(this.#state()));
  }

  redo(): boolean {
    return this.#submit(this.#history.redo(this.#state()));
  }

  #isFeed(id: string): boolean {
    return isFeedFeature(this.#state().features.get(id));
  }

  /** The state an edit applies to: the client's view plus the edits still waiting to be sent. */
  #state(): UndoState {
    const client = this.#client;
    if (this.#queue.length === 0)
      return { name: client.mapName, features: client.features, layers: client.layers };
    const state = createMapState(client.mapName, client.features.values(), client.layers.values());
    for (const op of this.#queue) applyOp(state, op);
    return state;
  }

  #perform(ops: Op[]): void {
    this.#history.record(ops, this.#state());
    this.#submit(ops);
  }

  #submit(ops: Op[]): boolean {
    this.#queue.push(...ops);
    this.#drain();
    return ops.length > 0;
  }

  /** Send what the token bucket allows now, in order, and come back for the rest. */
  #drain(): void {
    const now = Date.now();
    this.#tokens = Math.min(OPS_BURST, this.#tokens + ((now - this.#refilledAt) / 1000) * OPS_PER_SECOND);
    this.#refilledAt = now;
    while (this.#queue.length > 0 && this.#tokens >= 1) {
      this.#client.submit(this.#queue.shift() as Op);
      this.#tokens -= 1;
    }
    this.#version++;
    for (const listener of this.#listeners) listener();
    if (this.#queue.length > 0 && !this.#timer) {
      this.#timer = setTimeout(() => {
        this.#timer = null;
        this.#drain();
      }, 1000 / OPS_PER_SECOND);
    }
  }
}
