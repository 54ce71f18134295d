export {
  CloseCode,
  ErrorCode,
  FATAL_CLOSE_CODES,
  isTransientCode,
  MeridianError,
  TRANSIENT_ERROR_CODES,
} from './codes.ts';
export * from './geo.ts';
export * from './http.ts';
export { BASE62_ALPHABET, randomId } from './ids.ts';
export {
  countLayers,
  type LayerRefusal,
  layerMembershipRefusal,
  opReadsLayers,
  userLayersInOrder,
} from './layer-rules.ts';
export { LIMITS } from './limits.ts';
export * from './messages/bus.ts';
export * from './messages/client.ts';
export * from './messages/common.ts';
export * from './messages/server.ts';
export { generatedColor, PERSON_PALETTE, preferredColor } from './palette.ts';
export {
  encodeMessage,
  type ParseError,
  type ParseResult,
  parseBusMessage,
  parseClientMessage,
  parseServerMessage,
} from './parse.ts';
export * from './state.ts';
export {
  PROTOCOL_VERSION,
  REALTIME_PATH,
  REALTIME_SUBPROTOCOL,
  subprotocolsFor,
  TOKEN_SUBPROTOCOL_PREFIX,
} from './version.ts';
