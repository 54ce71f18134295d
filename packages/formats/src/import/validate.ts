import {
  type Feature,
  FeatureProperties,
  Geometry,
  jsonPropertiesProblem,
  LIMITS,
  vertexCount,
} from '@meridian/protocol';
import { importChunks } from '@meridian/protocol/client';
import { type Candidate, type ImportProblem, isRecord } from './candidate.ts';

/** A feature ready to create: the map gives it its id. */
export interface ImportedFeature {
  geometry: Geometry;
  properties: FeatureProperties;
}

type Issue = { message: string; path: PropertyKey[]; code?: string };

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const key of path) node = isRecord(node) || Array.isArray(node) ? (node as never)[key] : undefined;
  return node;
}

const AXES = ['longitude', 'latitude', 'altitude'] as const;

/**
 * The protocol's own verdict on a geometry, said for a person: the zod issue of the Geometry
 * schema (what the server would refuse), with the offending value and axis named where the path
 * points at a position ("latitude 123 is out of range", "a ring is not closed").
 */
export function describeGeometryIssue(geometry: unknown, issue: Issue): string {
  if (issue.message === 'a linear ring must be closed') return 'has a ring that is not closed';
  const path = issue.path;
  const last = path[path.length - 1];
  if (path[0] === 'geometries' && path[2] === 'type' && valueAt(geometry, path) === 'GeometryCollection')
    return 'has a GeometryCollection inside a GeometryCollection (they do not nest)';
  if (typeof last === 'number' && last <= 2 && path.includes('coordinates')) {
    const value = valueAt(geometry, path);
    const axis = AXES[last];
    if (typeof value !== 'number' || !Number.isFinite(value))
      return `has a ${axis} that is not a number (${JSON.stringify(value) ?? String(value)})`;
    const parent = valueAt(geometry, path.slice(0, -1));
    if (Array.isArray(parent) && parent.length > 3) return `has a position with ${parent.length} numbers`;
    return `has ${axis} ${value}, out of range`;
  }
  const node = valueAt(geometry, path);
  const position =
    Array.isArray(node) && node.length > 0 && node.every((v) => !Array.isArray(v) && !isRecord(v));
  if (position && path.includes('coordinates')) return describePosition(node as unknown[]);
  if (issue.code === 'too_big' && Array.isArray(node)) {
    const what = path.length <= 2 ? 'parts (polygons, lines or members)' : 'parts or positions';
    return `has ${node.length} ${what} in one list, more than the ${issue.message.replace(/^.*<=\s*/, '').replace(/ items?$/, '')} a feature may have`;
  }
  if (last === 'type' || issue.code === 'invalid_union') {
    const type = valueAt(geometry, path.slice(0, -1).concat('type'));
    if (
      typeof type === 'string' &&
      ![
        'Point',
        'MultiPoint',
        'LineString',
        'MultiLineString',
        'Polygon',
        'MultiPolygon',
        'GeometryCollection',
      ].includes(type)
    )
      return `has geometry type ${JSON.stringify(type)}, which is not GeoJSON`;
  }
  const where = path.length > 0 ? ` (at ${path.join('.')})` : '';
  return `has an invalid geometry${where}: ${issue.message}`;
}

const RANGES = [180, 90] as const;

/** What is wrong with one position (`["a", 1]`, `[10, 123]`, `[1, 2, 3, 4]`). */
function describePosition(position: readonly unknown[]): string {
  if (position.length < 2 || position.length > 3) return `has a position with ${position.length} numbers`;
  for (const [i, value] of position.entries()) {
    const axis = AXES[i] ?? 'coordinate';
    if (typeof value !== 'number' || !Number.isFinite(value))
      return `has a ${axis} that is not a number (${JSON.stringify(value) ?? String(value)})`;
    const range = RANGES[i as 0 | 1];
    if (range !== undefined && Math.abs(value) > range) return `has ${axis} ${value}, out of range`;
  }
  return `has altitude ${position[2]}, out of range`;
}

/** Meridian shows `title`; data from elsewhere names things `name` (KML, GPX, Natural Earth). */
function withTitle(properties: Record<string, unknown>): Record<string, unknown> {
  if (properties.title !== undefined || typeof properties.name !== 'string') return properties;
  const title = properties.name.trim().slice(0, LIMITS.MAX_TITLE_CHARS);
  return title ? { ...properties, title } : properties;
}

/** Outcome of validating one candidate. */
export type Checked =
  | { ok: true; feature: ImportedFeature; note?: string }
  | { ok: false; problem: ImportProblem };

/**
 * Whether a feature could be larger than a frame, so that it must be measured (serialised) as the
 * client will: most features are far smaller, and serialising 100,000 of them twice is seconds.
 * Bound: a position is at most 3 numbers of 24 characters, properties at most
 * MAX_PROPERTIES_BYTES characters (each up to 3 UTF-8 bytes), plus brackets and the envelope.
 */
function mayExceedFrame(geometry: Geometry): boolean {
  const POSITION_BYTES = 80;
  const PART_BYTES = 4;
  const bound =
    vertexCount(geometry) * (POSITION_BYTES + PART_BYTES) + LIMITS.MAX_PROPERTIES_BYTES * 3 + 2048;
  return bound >= LIMITS.MAX_FRAME_BYTES - 1024;
}

/** Placeholder id and version for the frame-size check (the real id is as long: `f-` + 16). */
const PROBE_ID = 'f-0000000000000000';

/**
 * Validate one candidate exactly as the server would (the protocol's Geometry and properties
 * schemas, and whether it fits a frame), saying what is wrong and where when it is not.
 */
export function checkCandidate(candidate: Candidate): Checked {
  const { where } = candidate;
  const fail = (message: string): Checked => ({ ok: false, problem: { where, message } });
  if (!isRecord(candidate.geometry)) return fail('has no geometry');
  const geometry = Geometry.safeParse(candidate.geometry);
  if (!geometry.success) {
    const issue = geometry.error.issues[0];
    return fail(
      issue ? describeGeometryIssue(candidate.geometry, issue as Issue) : 'has an invalid geometry',
    );
  }
  const raw = candidate.properties ?? {};
  if (!isRecord(raw)) return fail('has properties that are not a JSON object');
  let properties: Record<string, unknown> = withTitle(raw);
  let note: string | undefined;
  // GPX and some KML carry a value per point (times, heart rate): a long track's would exceed any
  // feature's bounded properties, so it is dropped rather than refusing the track.
  if ('coordinateProperties' in properties && jsonPropertiesProblem(properties)) {
    const { coordinateProperties: _dropped, ...rest } = properties;
    properties = rest;
    note =
      'per-point values (times, heart rate…) of long tracks were left out: they exceed a feature’s properties';
  }
  const checked = FeatureProperties.safeParse(properties);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    const key = issue?.path.length ? ` "${issue.path.join('.')}"` : '';
    return fail(`has property${key} refused: ${issue?.message ?? 'invalid'}`);
  }
  if (mayExceedFrame(geometry.data)) {
    const feature: Feature = {
      type: 'Feature',
      id: PROBE_ID,
      geometry: geometry.data,
      properties: checked.data,
      version: 0,
    };
    try {
      importChunks([feature]);
    } catch (error) {
      return fail(
        `is too large to send: ${(error as Error).message.replace(/^feature 0 \([^)]*\) is /, '')}`,
      );
    }
  }
  return {
    ok: true,
    feature: { geometry: geometry.data, properties: checked.data },
    ...(note ? { note } : {}),
  };
}

/** What an import amounts to once validated. */
export interface ValidatedImport {
  features: ImportedFeature[];
  skipped: ImportProblem[];
  notes: string[];
}

/**
 * Validate candidates in slices, yielding between them (`yieldEvery` candidates) so a page stays
 * responsive while 100,000 features are checked; `onProgress` gets the count checked so far.
 */
export async function validateCandidates(
  candidates: readonly Candidate[],
  options: { onProgress?: (checked: number) => void; yieldEvery?: number; pause?: () => Promise<void> } = {},
): Promise<ValidatedImport> {
  const every = options.yieldEvery ?? 2000;
  const pause = options.pause ?? (() => new Promise<void>((resolve) => setTimeout(resolve, 0)));
  const result: ValidatedImport = { features: [], skipped: [], notes: [] };
  for (let i = 0; i < candidates.length; i++) {
    if (i > 0 && i % every === 0) {
      options.onProgress?.(i);
      await pause();
    }
    const checked = checkCandidate(candidates[i] as Candidate);
    if (checked.ok) {
      result.features.push(checked.feature);
      if (checked.note && !result.notes.includes(checked.note)) result.notes.push(checked.note);
    } else result.skipped.push(checked.problem);
  }
  options.onProgress?.(candidates.length);
  return result;
}

/** Same as `validateCandidates`, all at once (tests, workers). */
export function validateCandidatesSync(candidates: readonly Candidate[]): ValidatedImport {
  const result: ValidatedImport = { features: [], skipped: [], notes: [] };
  for (const candidate of candidates) {
    const checked = checkCandidate(candidate);
    if (checked.ok) {
      result.features.push(checked.feature);
      if (checked.note && !result.notes.includes(checked.note)) result.notes.push(checked.note);
    } else result.skipped.push(checked.problem);
  }
  return result;
}
