import { type CheckedImport, type CsvColumns, checkImport, FormatError } from '@meridian/formats';
import type { CheckReply } from './worker-messages.ts';

/**
 * Read and check a file's text in a Web Worker, so parsing 50 MB of JSON or KML does not freeze
 * the page; where a worker cannot start, on this thread (checking still yields every few thousand
 * features). Rejects with FormatError when the file cannot be read.
 */
export function checkOffThread(
  text: string,
  fileName: string,
  columns: CsvColumns | undefined,
  onProgress: (checked: number, total: number) => void,
): Promise<CheckedImport> {
  let worker: Worker;
  try {
    worker = new Worker(new URL('./import.worker.ts', import.meta.url), { type: 'module' });
  } catch {
    return checkImport(text, {
      fileName,
      domParser: window.DOMParser,
      ...(columns ? { columns } : {}),
      onProgress,
    });
  }
  return new Promise<CheckedImport>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<CheckReply>) => {
      const message = event.data;
      if (message.type === 'progress') return onProgress(message.checked, message.total);
      worker.terminate();
      if (message.type === 'result') resolve(message.result);
      else reject(message.readable ? new FormatError(message.message) : new Error(message.message));
    };
    worker.onerror = (event) => {
      worker.terminate();
      reject(new Error(`The import worker failed: ${event.message}`));
    };
    worker.postMessage({ text, fileName, ...(columns ? { columns } : {}) });
  });
}
