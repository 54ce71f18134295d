import type { z } from 'zod';
import { ErrorCode } from './codes.ts';
import { LIMITS } from './limits.ts';
import { BusMessage } from './messages/bus.ts';
import { ClientMessage } from './messages/client.ts';
import { ServerMessage } from './messages/server.ts';

/** Why a frame was refused; `path` points at the offending field when there is one. */
export interface ParseError {
  code:
    | typeof ErrorCode.BAD_JSON
    | typeof ErrorCode.INVALID_MESSAGE
    | typeof ErrorCode.UNKNOWN_TYPE
    | typeof ErrorCode.FRAME_TOO_LARGE
    | typeof ErrorCode.BINARY_NOT_SUPPORTED;
  message: string;
  /** The message's `type`, when it had a string one. */
  type?: string;
  path?: string;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: ParseError };

type UnionSchema = z.ZodDiscriminatedUnion<readonly z.ZodObject[], 'type'>;

function typesOf(schema: UnionSchema): ReadonlySet<string> {
  return new Set(schema.options.map((option) => String(option.shape.type.value)));
}

const clientTypes = typesOf(ClientMessage as unknown as UnionSchema);
const serverTypes = typesOf(ServerMessage as unknown as UnionSchema);
const busTypes = typesOf(BusMessage as unknown as UnionSchema);

function describeIssue(issue: z.core.$ZodIssue): { message: string; path?: string } {
  const path = issue.path.map(String).join('.');
  return path ? { message: `${path}: ${issue.message}`, path } : { message: issue.message };
}

function parseWith<T>(
  schema: z.ZodType<T>,
  knownTypes: ReadonlySet<string>,
  raw: unknown,
  maxBytes: number,
): ParseResult<T> {
  let data: unknown;
  if (typeof raw === 'string') {
    // Length in UTF-16 units is a cheap lower bound on the UTF-8 size; good enough to refuse huge frames early.
    if (raw.length > maxBytes) {
      return {
        ok: false,
        error: { code: ErrorCode.FRAME_TOO_LARGE, message: `frame exceeds ${maxBytes} bytes` },
      };
    }
    try {
      data = JSON.parse(raw);
    } catch {
      return { ok: false, error: { code: ErrorCode.BAD_JSON, message: 'frame is not valid JSON' } };
    }
  } else if (raw instanceof ArrayBuffer || ArrayBuffer.isView(raw)) {
    return {
      ok: false,
      error: { code: ErrorCode.BINARY_NOT_SUPPORTED, message: 'binary frames are not part of the protocol' },
    };
  } else {
    data = raw;
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { ok: false, error: { code: ErrorCode.INVALID_MESSAGE, message: 'a message is a JSON object' } };
  }
  const type = (data as { type?: unknown }).type;
  if (typeof type !== 'string') {
    return {
      ok: false,
      error: { code: ErrorCode.INVALID_MESSAGE, message: 'type: expected a string', path: 'type' },
    };
  }
  const shortType = type.slice(0, 64);
  if (!knownTypes.has(type)) {
    return {
      ok: false,
      error: {
        code: ErrorCode.UNKNOWN_TYPE,
        message: `unknown message type "${shortType}"`,
        type: shortType,
      },
    };
  }
  const result = schema.safeParse(data);
  if (!result.success) {
    const first = result.error.issues[0];
    const described = first ? describeIssue(first) : { message: 'invalid message' };
    return { ok: false, error: { code: ErrorCode.INVALID_MESSAGE, type: shortType, ...described } };
  }
  return { ok: true, value: result.data };
}

/** Parse and validate one frame from a client. Never throws. */
export function parseClientMessage(
  raw: unknown,
  maxBytes: number = LIMITS.MAX_FRAME_BYTES,
): ParseResult<ClientMessage> {
  return parseWith(ClientMessage, clientTypes, raw, maxBytes);
}

/** Parse and validate one frame from a server. Never throws. */
export function parseServerMessage(
  raw: unknown,
  maxBytes: number = Number.POSITIVE_INFINITY,
): ParseResult<ServerMessage> {
  return parseWith(ServerMessage, serverTypes, raw, maxBytes);
}

/** Parse and validate one node-to-node bus message. Never throws. */
export function parseBusMessage(raw: unknown): ParseResult<BusMessage> {
  return parseWith(BusMessage, busTypes, raw, Number.POSITIVE_INFINITY);
}

/** Encode a message for the wire. One place, so a binary codec could replace JSON later. */
export function encodeMessage(message: ClientMessage | ServerMessage | BusMessage): string {
  return JSON.stringify(message);
}
