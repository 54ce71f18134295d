/// <reference lib="webworker" />
import { checkImport, FormatError } from '@meridian/formats';
// Workers have no DOMParser: KML and GPX are parsed with xmldom here (the same parser as the tests).
import { DOMParser } from '@xmldom/xmldom';
import type { CheckReply, CheckRequest } from './worker-messages.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const reply = (message: CheckReply) => scope.postMessage(message);

scope.onmessage = async (event: MessageEvent<CheckRequest>) => {
  const { text, fileName, columns } = event.data;
  try {
    const result = await checkImport(text, {
      fileName,
      domParser: DOMParser as never,
      ...(columns ? { columns } : {}),
      onProgress: (checked, total) => reply({ type: 'progress', checked, total }),
    });
    reply({ type: 'result', result });
  } catch (error) {
    reply({
      type: 'failed',
      readable: error instanceof FormatError,
      message: error instanceof Error ? error.message : String(error),
    });
  }
};
