import type { Feature } from '@meridian/protocol';
import type { GeoJSONFeatureDiff, GeoJSONSourceDiff } from 'maplibre-gl';
import { drawableGeometry } from './antimeridian.ts';
import {
  bucketOf,
  type FeatureBucket,
  type LayerColorMap,
  type RenderProperties,
  renderProperties,
  toRenderFeature,
} from './render-features.ts';

/** One `updateData` diff per map source; an empty diff means that source needs no work. */
export type SourceDiffs = Record<FeatureBucket, GeoJSONSourceDiff>;

const emptyDiffs = (): SourceDiffs => ({ points: {}, shapes: {}, feed: {} });

type ListKey = 'add' | 'remove' | 'update';
type Item<K extends ListKey> = NonNullable<GeoJSONSourceDiff[K]> extends (infer T)[] ? T : never;

function push<K extends ListKey>(diff: GeoJSONSourceDiff, key: K, item: Item<K>): void {
  const list = (diff[key] ?? []) as Item<K>[];
  list.push(item);
  (diff as Record<K, Item<K>[]>)[key] = list;
}

export function isEmptyDiff(diff: GeoJSONSourceDiff): boolean {
  return !diff.removeAll && !diff.add?.length && !diff.remove?.length && !diff.update?.length;
}

function sameGeometry(a: Feature['geometry'], b: Feature['geometry']): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/** What changed between two renderings of a feature: keys set or changed, and keys removed (a style reset). */
function changedProperties(
  a: RenderProperties,
  b: RenderProperties,
): Pick<GeoJSONFeatureDiff, 'addOrUpdateProperties' | 'removeProperties'> {
  const set: { key: string; value: unknown }[] = [];
  const removed: string[] = [];
  const before = a as unknown as Record<string, unknown>;
  const after = b as unknown as Record<string, unknown>;
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (before[key] === after[key]) continue;
    if (after[key] === undefined) removed.push(key);
    else set.push({ key, value: after[key] });
  }
  return {
    ...(set.length ? { addOrUpdateProperties: set } : {}),
    ...(removed.length ? { removeProperties: removed } : {}),
  };
}

/**
 * Compare what the map shows with what it should show, for the given feature ids (or all), and
 * return the smallest `updateData` diffs that bring the map sources up to date. `rendered` is
 * updated in place to the new state, so it always mirrors the sources. `layerColors` colours the
 * live-feed entries; when it changes, the caller redraws those layers' features from scratch.
 */
export function diffFeatures(
  rendered: Map<string, Feature>,
  next: ReadonlyMap<string, Feature>,
  ids: Iterable<string> | 'all',
  layerColors?: LayerColorMap,
): SourceDiffs {
  const diffs = emptyDiffs();
  const candidates = ids === 'all' ? new Set([...rendered.keys(), ...next.keys()]) : ids;
  for (const id of candidates) {
    const before = rendered.get(id);
    const after = next.get(id);
    if (before === after) continue;
    if (!after) {
      if (before) push(diffs[bucketOf(before)], 'remove', id);
      rendered.delete(id);
      continue;
    }
    rendered.set(id, after);
    if (!before) {
      push(diffs[bucketOf(after)], 'add', toRenderFeature(after, layerColors));
      continue;
    }
    if (bucketOf(before) !== bucketOf(after)) {
      push(diffs[bucketOf(before)], 'remove', id);
      push(diffs[bucketOf(after)], 'add', toRenderFeature(after, layerColors));
      continue;
    }
    const update: GeoJSONFeatureDiff = { id };
    if (!sameGeometry(before.geometry, after.geometry)) update.newGeometry = drawableGeometry(after.geometry);
    Object.assign(
      update,
      changedProperties(renderProperties(before, layerColors), renderProperties(after, layerColors)),
    );
    if (update.newGeometry || update.addOrUpdateProperties || update.removeProperties)
      push(diffs[bucketOf(after)], 'update', update);
  }
  return diffs;
}
