import type { FeatureProperties, FeaturePropertiesPatch, Geometry, Op } from '@meridian/protocol';
import { type MeridianClient, randomId } from '@meridian/protocol/client';
import type { ImportedFeature } from '../features/geojson-io.ts';
import { UndoHistory } from '../features/undo-history.ts';

const newFeatureId = () => `f-${randomId(16)}`;

/**
 * Every edit this person makes goes through here: it is recorded for undo, then submitted to the
 * client (which shows it at once and sends it, or queues it while offline).
 */
export class Editor {
  readonly #client: MeridianClient;
  readonly #history = new UndoHistory(newFeatureId);
  readonly #listeners = new Set<() => void>();
  #version = 0;

  constructor(client: MeridianClient) {
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

  update(id: string, properties: FeaturePropertiesPatch): void {
    this.#perform([{ kind: 'feature.update', id, properties }]);
  }

  move(id: string, geometry: Geometry): void {
    this.#perform([{ kind: 'feature.move', id, geometry }]);
  }

  remove(id: string): void {
    this.#perform([{ kind: 'feature.delete', id }]);
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

  #state() {
    return { name: this.#client.mapName, features: this.#client.features };
  }

  #perform(ops: Op[]): void {
    this.#history.record(ops, this.#state());
    this.#submit(ops);
  }

  #submit(ops: Op[]): boolean {
    for (const op of ops) this.#client.submit(op);
    this.#version++;
    for (const listener of this.#listeners) listener();
    return ops.length > 0;
  }
}
