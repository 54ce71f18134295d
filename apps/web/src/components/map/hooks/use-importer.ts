'use client';

import {
  type CsvColumns,
  FORMAT_NAMES,
  FormatError,
  type ImportFormat,
  type ImportProblem,
  readImport,
  validateCandidates,
} from '@meridian/formats';
import { useCallback, useRef, useState } from 'react';
import type { Editor } from '../../../session/editor.ts';

/** Where an import is: each step is what the person sees in the import panel. */
export type ImportState =
  | { step: 'idle' }
  | { step: 'reading'; fileName: string }
  | {
      step: 'choose-columns';
      fileName: string;
      header: string[];
      rows: number;
      sample: string[];
      guess: Partial<CsvColumns>;
    }
  | { step: 'checking'; fileName: string; checked: number; total: number }
  | { step: 'sending'; fileName: string; committed: number; total: number }
  | {
      step: 'done';
      fileName: string;
      format: ImportFormat | null;
      imported: number;
      skipped: ImportProblem[];
      notes: string[];
      /** Set when the file could not be read, or the server refused the import. */
      error: string | null;
    };

/** Let the browser paint a step before the next long synchronous stretch (parsing, checking). */
const nextFrame = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/**
 * The import pipeline for a file's text: read (detect → parse) → validate with the protocol's
 * schemas, yielding to the page every few thousand features → bulk import through the editor (one
 * undo step), its commits followed as progress. Parsing itself is one synchronous call (JSON.parse,
 * DOMParser, papaparse); everything per feature is sliced.
 */
export function useImporter(editor: Editor | null) {
  const [state, setState] = useState<ImportState>({ step: 'idle' });
  const pending = useRef<{ text: string; fileName: string } | null>(null);
  const busy = state.step === 'reading' || state.step === 'checking' || state.step === 'sending';

  const run = useCallback(
    async (text: string, fileName: string, columns?: CsvColumns) => {
      if (!editor) return;
      const finish = (fields: Partial<Extract<ImportState, { step: 'done' }>>) =>
        setState({
          step: 'done',
          fileName,
          format: null,
          imported: 0,
          skipped: [],
          notes: [],
          error: null,
          ...fields,
        });
      setState({ step: 'reading', fileName });
      await nextFrame();
      let outcome: ReturnType<typeof readImport>;
      try {
        outcome = readImport(text, {
          fileName,
          domParser: window.DOMParser,
          ...(columns ? { columns } : {}),
        });
      } catch (error) {
        finish({
          error: error instanceof FormatError ? error.message : `The file cannot be read: ${String(error)}`,
        });
        return;
      }
      if (outcome.status === 'choose-columns') {
        pending.current = { text, fileName };
        setState({
          step: 'choose-columns',
          fileName,
          header: outcome.header,
          rows: outcome.rows,
          sample: outcome.sample,
          guess: outcome.guess,
        });
        return;
      }
      const total = outcome.candidates.length;
      setState({ step: 'checking', fileName, checked: 0, total });
      const validated = await validateCandidates(outcome.candidates, {
        onProgress: (checked) => setState({ step: 'checking', fileName, checked, total }),
      });
      const skipped = [...outcome.problems, ...validated.skipped];
      const notes = [...(outcome.notes ?? []), ...validated.notes];
      const format = outcome.format;
      if (validated.features.length === 0) {
        finish({
          format,
          skipped,
          notes,
          error: skipped.length === 0 ? `No features found in this ${FORMAT_NAMES[format]} file.` : null,
        });
        return;
      }
      const features = validated.features.length;
      setState({ step: 'sending', fileName, committed: 0, total: features });
      const { done } = editor.importFeatures(validated.features, (progress) =>
        setState({ step: 'sending', fileName, committed: progress.committedFeatures, total: features }),
      );
      try {
        await done;
        finish({ format, imported: features, skipped, notes });
      } catch (error) {
        finish({ format, skipped, notes, error: `The map refused the import: ${(error as Error).message}` });
      }
    },
    [editor],
  );

  return {
    state,
    busy,
    /** Import a file's (or a paste's) text. */
    start: useCallback((text: string, fileName: string) => void run(text, fileName), [run]),
    /** The person chose the CSV's coordinate columns. */
    chooseColumns: useCallback(
      (columns: CsvColumns) => {
        const file = pending.current;
        pending.current = null;
        if (file) void run(file.text, file.fileName, columns);
      },
      [run],
    ),
    close: useCallback(() => {
      pending.current = null;
      setState({ step: 'idle' });
    }, []),
  };
}

export type Importer = ReturnType<typeof useImporter>;
