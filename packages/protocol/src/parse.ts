import type { z } from 'zod';
import { type DetachedFeatures, detachImportedFeatures, reattachImportedFeatures } from './bulk-records.ts';
import { ErrorCode } from './codes.ts';
import { LIMITS } from './limits.ts';
import { BusMessage, type BusPresenceBatchMessage } from './messages/bus.ts';
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
  beforeSchema?: (data: object) => void,
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
  beforeSchema?.(data);
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

/**
 * Parse and validate one frame from a server. Never throws. The features of an import's record
 * (`op`, `replay`) are only checked for their shape (see `bulk-records.ts`): the server validated
 * them when they arrived, and it is the authority; everything around them is validated.
 */
export function parseServerMessage(
  raw: unknown,
  maxBytes: number = Number.POSITIVE_INFINITY,
): ParseResult<ServerMessage> {
  return parseTrustingImports(ServerMessage, serverTypes, raw, maxBytes);
}

/** `parseWith`, the features of import records shape-checked instead of validated. */
function parseTrustingImports<T extends ServerMessage | BusMessage>(
  schema: z.ZodType<T>,
  knownTypes: ReadonlySet<string>,
  raw: unknown,
  maxBytes: number,
): ParseResult<T> {
  let detached: DetachedFeatures | null = null;
  const result = parseWith(schema, knownTypes, raw, maxBytes, (data) => {
    detached = detachImportedFeatures(data);
  });
  if (!result.ok || detached === null) return result;
  const problem = reattachImportedFeatures(result.value, detached);
  if (problem) {
    return {
      ok: false,
      error: {
        code: ErrorCode.INVALID_MESSAGE,
        type: result.value.type,
        message: `${problem.path}: ${problem.message}`,
        path: problem.path,
      },
    };
  }
  return result;
}

const BUS_PRESENCE_BATCH_HEAD = '{"type":"presenceBatch",';

/**
 * Parse and validate one node-to-node bus message. Never throws. A presence batch is only checked
 * for its shape, not validated entry by entry: the node that took each entry from a client
 * validated it there, and the batch is the hottest message on the bus (see `parseBusPresenceBatch`).
 */
export function parseBusMessage(raw: unknown): ParseResult<BusMessage> {
  if (typeof raw === 'string' && raw.startsWith(BUS_PRESENCE_BATCH_HEAD)) return parseBusPresenceBatch(raw);
  // A committed record was validated by the node that took it from its client: its import's
  // features are shape-checked here, not validated again on every node.
  return parseTrustingImports(BusMessage, busTypes, raw, Number.POSITIVE_INFINITY);
}

function invalidBatch(message: string): ParseResult<BusMessage> {
  return { ok: false, error: { code: ErrorCode.INVALID_MESSAGE, type: 'presenceBatch', message } };
}

/**
 * The bus presence batch's fast path: JSON.parse and a structural check (the keys, the frame's
 * type and map, every entry an object with a string clientId) instead of the schema, which would
 * validate again, on every node, what the sending node already validated.
 */
function parseBusPresenceBatch(raw: string): ParseResult<BusMessage> {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return { ok: false, error: { code: ErrorCode.BAD_JSON, message: 'bus message is not valid JSON' } };
  }
  const message = data as Partial<BusPresenceBatchMessage>;
  if (typeof message.mapId !== 'string' || typeof message.nodeId !== 'string')
    return invalidBatch('mapId and nodeId must be strings');
  if (Object.keys(message).length !== 4) return invalidBatch('unexpected keys');
  const frame = message.frame as Partial<BusPresenceBatchMessage['frame']> | undefined;
  if (
    typeof frame !== 'object' ||
    frame === null ||
    frame.type !== 'presenceBatch' ||
    frame.mapId !== message.mapId
  )
    return invalidBatch('frame: expected a presenceBatch of the same map');
  const entries = frame.entries;
  if (!Array.isArray(entries) || entries.length === 0) return invalidBatch('frame.entries: expected entries');
  for (const entry of entries) {
    if (typeof entry !== 'object' || entry === null || typeof entry.clientId !== 'string')
      return invalidBatch('frame.entries: expected presence entries');
  }
  return { ok: true, value: message as BusPresenceBatchMessage };
}

function busPresenceBatchHead(mapId: string, nodeId: string): string {
  return `${BUS_PRESENCE_BATCH_HEAD}"mapId":${JSON.stringify(mapId)},"nodeId":${JSON.stringify(nodeId)},"frame":`;
}

/**
 * The bus message carrying a presence batch frame already encoded for the sockets (its text is
 * spliced in, not encoded again): `frame` last, so a peer finds the frame's text by its position.
 */
export function encodeBusPresenceBatch(mapId: string, nodeId: string, frameText: string): string {
  return `${busPresenceBatchHead(mapId, nodeId)}${frameText}}`;
}

/**
 * The text of a received bus presence batch's frame, to forward to sockets as received: a slice
 * of `raw` when it has the layout `encodeBusPresenceBatch` writes, else the frame encoded anew.
 */
export function busPresenceBatchFrameText(message: BusPresenceBatchMessage, raw: string | undefined): string {
  const head = busPresenceBatchHead(message.mapId, message.nodeId);
  if (raw?.startsWith(head) && raw.endsWith('}')) return raw.slice(head.length, -1);
  return encodeMessage(message.frame);
}

/**
 * A server message encoded once, to go to many sockets as the same text: a frame published to a
 * topic, or forwarded as it arrived from a peer, is never encoded per receiver.
 */
export class EncodedServerMessage {
  constructor(
    readonly type: ServerMessage['type'],
    readonly text: string,
  ) {}

  static of(message: ServerMessage): EncodedServerMessage {
    return new EncodedServerMessage(message.type, encodeMessage(message));
  }
}

/** A message on its way to a socket: as an object, or already encoded. */
export type OutgoingServerMessage = ServerMessage | EncodedServerMessage;

/** The text of an outgoing message (encoded now unless it already was). */
export function outgoingText(message: OutgoingServerMessage): string {
  return message instanceof EncodedServerMessage ? message.text : encodeMessage(message);
}

/** Encode a message for the wire. One place, so a binary codec could replace JSON later. */
export function encodeMessage(message: ClientMessage | ServerMessage | BusMessage): string {
  return JSON.stringify(message);
}
