import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { STATUS_CODES } from 'node:http';
import { ErrorCode, MeridianError } from '@meridian/protocol';
import type { Logger } from '../logger.ts';

/** An HTTP failure with a status and a typed code, answered as `{ error: { code, message } }`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Raw text instead of JSON (Prometheus exposition). */
  text?: string;
  /** Close the connection after answering (the client may still be sending a refused body). */
  close?: boolean;
}

/** `201 Created`: the status line uWS's writeStatus wants, with Node's standard reason phrases. */
export function statusLine(status: number): string {
  return `${status} ${STATUS_CODES[status] ?? 'Status'}`;
}

/** A short plain-text answer (upgrade refusals): no stack trace, no detail beyond the reason. */
export function sendPlain(res: HttpResponse, status: number, message: string): void {
  res
    .writeStatus(statusLine(status))
    .writeHeader('content-type', 'text/plain; charset=utf-8')
    .end(message, true);
}

export function writeReply(res: HttpResponse, reply: Reply): void {
  res.writeStatus(statusLine(reply.status));
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.writeHeader(name, value);
  const close = reply.close ?? false;
  if (reply.text !== undefined) {
    res.end(reply.text, close);
  } else if (reply.body === undefined) {
    res.end(undefined, close);
  } else {
    res.writeHeader('content-type', 'application/json; charset=utf-8').end(JSON.stringify(reply.body), close);
  }
}

const HTTP_STATUS_OF: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.MAP_NOT_FOUND]: 404,
  [ErrorCode.TOKEN_INVALID]: 401,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.INVALID_MESSAGE]: 400,
  [ErrorCode.BAD_JSON]: 400,
  [ErrorCode.FRAME_TOO_LARGE]: 413,
  [ErrorCode.STORAGE_UNAVAILABLE]: 503,
};

function errorReply(error: unknown, logger: Logger): Reply {
  if (error instanceof HttpError) {
    const body = { error: { code: error.code, message: error.message } };
    // 413 and 415 refuse a body that may still be arriving: close rather than read it.
    return { status: error.status, body, close: error.status === 413 || error.status === 415 };
  }
  if (error instanceof MeridianError) {
    const status = HTTP_STATUS_OF[error.code] ?? 500;
    if (status >= 500) logger.warn({ err: error.message, code: error.code }, 'request failed');
    const message = status === 503 ? 'storage is unavailable; try again shortly' : error.message;
    return { status, body: { error: { code: error.code, message } } };
  }
  logger.error({ err: error }, 'request failed');
  return { status: 500, body: { error: { code: ErrorCode.INTERNAL, message: 'internal error' } } };
}

/**
 * Run `fn` on a fresh macrotask. A promise continuation may run in the microtask checkpoint of
 * *another* uWS callback, while uWS still holds that callback's parser state; finishing a
 * response from a clean stack keeps the two apart.
 */
export function onCleanStack(fn: () => void): void {
  setImmediate(fn);
}

/**
 * Answer a request asynchronously: uWS requires an abort handler before returning, and corking
 * for writes that happen after an await. Nothing thrown by `work` reaches uWS.
 */
export function replyAsync(
  res: HttpResponse,
  logger: Logger,
  work: () => Promise<Reply>,
  extraHeaders = {},
): void {
  let aborted = false;
  res.onAborted(() => {
    aborted = true;
  });
  const finish = (reply: Reply) =>
    onCleanStack(() => {
      if (aborted) return;
      res.cork(() => writeReply(res, { ...reply, headers: { ...extraHeaders, ...reply.headers } }));
    });
  work().then(finish, (error: unknown) => finish(errorReply(error, logger)));
}

/**
 * Read a request body up to `maxBytes`. Must be called synchronously inside the route handler
 * (uWS hands data only to a handler attached before it returns).
 */
export function readBody(res: HttpResponse, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    res.onData((chunk, isLast) => {
      if (failed) return;
      size += chunk.byteLength;
      if (size > maxBytes) {
        failed = true;
        reject(new HttpError(413, ErrorCode.FRAME_TOO_LARGE, `the body is limited to ${maxBytes} bytes`));
        return;
      }
      // uWS reuses the chunk's memory after this callback returns: copy it.
      chunks.push(Buffer.from(new Uint8Array(chunk).slice()));
      if (isLast) resolve(Buffer.concat(chunks));
    });
  });
}

/** `application/json`, optionally with `; charset=utf-8` (JSON is UTF-8; other charsets are refused). */
const JSON_CONTENT_TYPE = /^application\/json\s*(;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;

/**
 * Refuse (415) a request to a JSON route unless it declares `Content-Type: application/json`.
 * Besides being the contract, this keeps cross-site forms and `fetch`es with a CORS-simple type
 * (`text/plain`, form encodings), which browsers send without a preflight, from acting on the API.
 * `bodyless` routes also accept a request with no Content-Type at all.
 */
export function requireJsonContentType(contentType: string, options: { bodyless?: boolean } = {}): void {
  if (options.bodyless && contentType === '') return;
  if (JSON_CONTENT_TYPE.test(contentType.trim())) return;
  throw new HttpError(
    415,
    ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    'send the body as JSON with Content-Type: application/json',
  );
}

/** Parse a JSON body, failing as a typed 400. */
export function parseJsonBody(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, ErrorCode.BAD_JSON, 'the body is not valid JSON');
  }
}

/**
 * The parsed JSON body of a request, or a typed 415 (not declared JSON, body left unread), 413 or
 * 400. Must be called synchronously inside the route handler, like readBody.
 */
export function readJsonBody(res: HttpResponse, req: HttpRequest, maxBytes: number): Promise<unknown> {
  try {
    requireJsonContentType(req.getHeader('content-type'));
  } catch (error) {
    return Promise.reject(error);
  }
  return readBody(res, maxBytes).then(parseJsonBody);
}
