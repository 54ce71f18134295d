'use client';

import {
  type CheckedImport,
  type CsvColumns,
  FORMAT_NAMES,
  FormatError,
  type ImportFormat,
  type ImportProblem,
  importSummary,
} from '@meridian/formats';
import { useCallback, useRef, useState } from 'react';
import { checkOffThread } from '../../../import/check-off-thread.ts';
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

/**
 * The import pipeline for a file's text: read (detect → parse) and validate with the protocol's
 * schemas in a Web Worker (`checkOffThread`), so a 50 MB file does not freeze the page → bulk
 * import through the editor (one undo step), its commits followed as progress.
 */
export function useImporter(editor: Editor | null, notify: (message: string) => void) {
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
      let checked: CheckedImport;
      try {
        checked = await checkOffThread(text, fileName, columns, (done, total) =>
          setState({ step: 'checking', fileName, checked: done, total }),
        );
      } catch (error) {
        finish({
          error:
            error instanceof FormatError
              ? error.message
              : `The file cannot be read: ${(error as Error).message}`,
        });
        return;
      }
      if (checked.status === 'choose-columns') {
        pending.current = { text, fileName };
        const { header, rows, sample, guess } = checked;
        setState({ step: 'choose-columns', fileName, header, rows, sample, guess });
        return;
      }
      const { format, skipped, notes } = checked;
      if (checked.features.length === 0) {
        finish({
          format,
          skipped,
          notes,
          error: skipped.length === 0 ? `No features found in this ${FORMAT_NAMES[format]} file.` : null,
        });
        return;
      }
      const features = checked.features.length;
      setState({ step: 'sending', fileName, committed: 0, total: features });
      const { done } = editor.importFeatures(checked.features, (progress) =>
        setState({ step: 'sending', fileName, committed: progress.committedFeatures, total: features }),
      );
      try {
        await done;
        // A clean import is said in passing; one with something to read stays open.
        if (skipped.length === 0 && notes.length === 0) {
          setState({ step: 'idle' });
          notify(`${importSummary(features, 0)} from ${fileName} (${FORMAT_NAMES[format]}).`);
        } else finish({ format, imported: features, skipped, notes });
      } catch (error) {
        finish({ format, skipped, notes, error: `The map refused the import: ${(error as Error).message}` });
      }
    },
    [editor, notify],
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
