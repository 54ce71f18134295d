/**
 * A feature read from a file, not yet validated: what the reader found and where it found it, so
 * a problem can be named the way the person sees their file ("feature 12 (id "fr")", "row 40").
 */
export interface Candidate {
  geometry: unknown;
  properties: unknown;
  /** Where in the file: `feature 12 (id "fr")`, `row 40`, `placemark 3 "Summit"`. */
  where: string;
}

/** Why something in the file was left out, and where. */
export interface ImportProblem {
  where: string;
  message: string;
}

/** What a reader gives back: features to validate, and what it could already tell was wrong. */
export interface ReadResult {
  candidates: Candidate[];
  problems: ImportProblem[];
  /** What was changed on the way in, once per import ("per-point times were left out"). */
  notes?: string[];
}

/** A file that cannot be read at all (not JSON, malformed XML, no usable column...). */
export class FormatError extends Error {
  override readonly name = 'FormatError';
}

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `feature 12`, or `feature 12 (id "fr")` when the feature has an id: 1-based, as people count. */
export function featureLabel(index: number, id: unknown): string {
  const shown = typeof id === 'string' || typeof id === 'number' ? ` (id ${JSON.stringify(id)})` : '';
  return `feature ${index + 1}${shown}`;
}
