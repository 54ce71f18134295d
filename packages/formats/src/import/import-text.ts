import type { ImportProblem } from './candidate.ts';
import type { CsvColumns } from './csv.ts';
import { type ImportFormat, type ReadOptions, readImport } from './read.ts';
import { type ImportedFeature, validateCandidates } from './validate.ts';

/** A file's text, read and checked: features ready to import, or a CSV's columns to choose. */
export type CheckedImport =
  | {
      status: 'checked';
      format: ImportFormat;
      features: ImportedFeature[];
      /** What was left out and where, reader's problems first. */
      skipped: ImportProblem[];
      notes: string[];
    }
  | {
      status: 'choose-columns';
      header: string[];
      rows: number;
      sample: string[];
      guess: Partial<CsvColumns>;
    };

/**
 * The whole pipeline up to sending: detect → parse → validate (in slices, `onProgress` with the
 * count checked). Throws FormatError when the file cannot be read at all.
 */
export async function checkImport(
  text: string,
  options: ReadOptions & { onProgress?: (checked: number, total: number) => void } = {},
): Promise<CheckedImport> {
  const outcome = readImport(text, options);
  if (outcome.status === 'choose-columns') {
    const { header, rows, sample, guess } = outcome;
    return { status: 'choose-columns', header, rows, sample, guess };
  }
  const total = outcome.candidates.length;
  const validated = await validateCandidates(outcome.candidates, {
    onProgress: (checked) => options.onProgress?.(checked, total),
  });
  return {
    status: 'checked',
    format: outcome.format,
    features: validated.features,
    skipped: [...outcome.problems, ...validated.skipped],
    notes: [...(outcome.notes ?? []), ...validated.notes],
  };
}
