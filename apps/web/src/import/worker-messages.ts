import type { CheckedImport, CsvColumns } from '@meridian/formats';

/** Page → import worker: a file's text to read and check. */
export interface CheckRequest {
  text: string;
  fileName: string;
  columns?: CsvColumns;
}

/** Import worker → page. */
export type CheckReply =
  | { type: 'progress'; checked: number; total: number }
  | { type: 'result'; result: CheckedImport }
  | { type: 'failed'; message: string; readable: boolean };
