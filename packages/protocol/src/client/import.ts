import { ErrorCode, MeridianError } from '../codes.ts';
import { Feature } from '../geo.ts';
import { LIMITS } from '../limits.ts';
import type { Op } from '../messages/common.ts';
import { utf8Length } from './utf8.ts';

/**
 * Room left in a frame for the op envelope (`{"type":"op","mapId":…,"opId":…,"op":{"kind":…,"batch":…}}`);
 * the server adds `by` (the author's name) to the record it broadcasts, not to this frame.
 */
const ENVELOPE_BYTES = 512;

/**
 * Split features into `features.import` ops, in order, each of at most
 * LIMITS.MAX_IMPORT_FEATURES_PER_OP features and `maxFrameBytes` bytes as a frame. Throws
 * MeridianError(FRAME_TOO_LARGE) naming the first feature that cannot fit in a frame alone.
 */
export function importChunks(
  features: readonly Feature[],
  maxFrameBytes: number = LIMITS.MAX_FRAME_BYTES,
): Extract<Op, { kind: 'features.import' }>[] {
  const budget = maxFrameBytes - ENVELOPE_BYTES;
  const chunks: Extract<Op, { kind: 'features.import' }>[] = [];
  let current: Feature[] = [];
  let bytes = 0;
  features.forEach((feature, index) => {
    const size = utf8Length(JSON.stringify(feature)) + 1;
    if (size > budget) {
      throw new MeridianError(
        ErrorCode.FRAME_TOO_LARGE,
        `feature ${index} (${feature.id}) is ${size} bytes: more than a ${maxFrameBytes}-byte frame holds`,
      );
    }
    if (size - 1 > LIMITS.MAX_FEATURE_BYTES) {
      throw new MeridianError(
        ErrorCode.FRAME_TOO_LARGE,
        `feature ${index} (${feature.id}) is ${size - 1} bytes: features are at most ${LIMITS.MAX_FEATURE_BYTES}`,
      );
    }
    if (
      current.length > 0 &&
      (bytes + size > budget || current.length >= LIMITS.MAX_IMPORT_FEATURES_PER_OP)
    ) {
      chunks.push({ kind: 'features.import', features: current });
      current = [];
      bytes = 0;
    }
    current.push(feature);
    bytes += size;
  });
  if (current.length > 0) chunks.push({ kind: 'features.import', features: current });
  return chunks;
}

/**
 * Check features before an import, so a bad one is named by its index before anything is sent.
 * Throws MeridianError(INVALID_MESSAGE) for the first invalid one; returns them as parsed.
 */
export function validateImport(features: readonly unknown[]): Feature[] {
  return features.map((feature, index) => {
    const parsed = Feature.safeParse(feature);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
    throw new MeridianError(
      ErrorCode.INVALID_MESSAGE,
      `feature ${index}: ${where}${issue?.message ?? 'invalid'}`,
    );
  });
}

/** How far an import has come: features and chunks committed (acknowledged) so far. */
export interface ImportProgress {
  committedFeatures: number;
  totalFeatures: number;
  committedChunks: number;
  totalChunks: number;
}
