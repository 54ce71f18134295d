import { createHash } from 'node:crypto';
import type { Feature, Op, OpRecord } from '@meridian/protocol';
import { canonicalJson, LIMITS } from '@meridian/protocol';

/** Encoded size budget of one `layer.entries` op, well under a frame so it fans out like any op. */
export const MAX_ENTRIES_OP_BYTES = 32 * 1024;

export function contentHash(feature: Pick<Feature, 'geometry' | 'properties'>): string {
  return (
    createHash('sha256')
      // A canonical text of what the entry shows, whatever its key order.
      .update(canonicalJson({ geometry: feature.geometry, properties: feature.properties }))
      .digest('base64url')
      .slice(0, 22)
  );
}

/** What a layer's features look like now, as far as this node knows: feature id → content hash. */
export type KnownEntries = Map<string, string>;

export interface EntriesCommit {
  opId: string;
  op: Extract<Op, { kind: 'layer.entries' }>;
  /** The hashes the op sets, to remember once it is committed. */
  hashes: [string, string][];
}

/**
 * The `layer.entries` ops that bring a layer from `known` to `entries`: unchanged entries are
 * left out (a poll that finds nothing new commits nothing), the rest chunked by count and size.
 * Each op id is a hash of the transitions it makes (id, hash before, hash after), so a retry of the
 * same change is the same op (the op log answers `duplicate`), while an entry that changes back
 * to an earlier content is a new op.
 */
export function planEntryCommits(layerId: string, entries: Feature[], known: KnownEntries): EntriesCommit[] {
  const changed = entries
    .map((feature) => ({ feature, hash: contentHash(feature) }))
    .filter(({ feature, hash }) => known.get(feature.id) !== hash);
  const commits: EntriesCommit[] = [];
  let chunk: typeof changed = [];
  let bytes = 0;
  const flush = () => {
    if (chunk.length === 0) return;
    const digest = createHash('sha256').update(layerId);
    for (const { feature, hash } of chunk)
      digest.update(`\n${feature.id} ${known.get(feature.id) ?? '-'} ${hash}`);
    commits.push({
      opId: `feed-${digest.digest('base64url').slice(0, 40)}`,
      op: { kind: 'layer.entries', layerId, features: chunk.map((c) => c.feature) },
      hashes: chunk.map(({ feature, hash }) => [feature.id, hash]),
    });
    chunk = [];
    bytes = 0;
  };
  for (const item of changed) {
    const size = Buffer.byteLength(JSON.stringify(item.feature));
    if (
      chunk.length >= LIMITS.MAX_LAYER_ENTRIES_PER_OP ||
      (chunk.length > 0 && bytes + size > MAX_ENTRIES_OP_BYTES)
    ) {
      flush();
    }
    chunk.push(item);
    bytes += size;
  }
  flush();
  return commits;
}

/**
 * Keeps `KnownEntries` of a map's layers current from the op records this node applies: entries
 * set hashes; an edit or delete of a feed feature by a person forgets it (the next fetch puts the
 * feed's version back); removing the layer forgets them all.
 */
export function applyRecordToKnown(layers: Map<string, KnownEntries>, record: OpRecord): void {
  const op = record.op;
  switch (op.kind) {
    case 'layer.entries': {
      let known = layers.get(op.layerId);
      if (!known) {
        known = new Map();
        layers.set(op.layerId, known);
      }
      for (const feature of op.features) {
        known.set(
          feature.id,
          contentHash({ ...feature, properties: { ...feature.properties, layer: op.layerId } }),
        );
      }
      return;
    }
    case 'layer.remove':
      layers.delete(op.id);
      return;
    case 'feature.create':
      for (const known of layers.values()) known.delete(op.feature.id);
      return;
    case 'features.import':
      for (const known of layers.values()) for (const f of op.features) known.delete(f.id);
      return;
    case 'features.delete':
      for (const known of layers.values()) for (const id of op.ids) known.delete(id);
      return;
    case 'map.rename':
    case 'layer.add':
    case 'layer.update':
      return;
    default:
      for (const known of layers.values()) known.delete(op.id);
  }
}

/** The known entries of each layer, from a map's features (a snapshot). */
export function knownFromFeatures(features: Iterable<Feature>): Map<string, KnownEntries> {
  const layers = new Map<string, KnownEntries>();
  for (const feature of features) {
    const layerId = feature.properties.layer;
    if (!layerId) continue;
    let known = layers.get(layerId);
    if (!known) {
      known = new Map();
      layers.set(layerId, known);
    }
    known.set(feature.id, contentHash(feature));
  }
  return layers;
}
