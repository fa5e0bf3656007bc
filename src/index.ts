/** netbridge host library: public API. */
export * from './errors.js';
export { ZEPHYR_ERRNO, errnoName, errnoNumber, type ErrnoName } from './errno.js';
export { type CborMap, type CborValue, decodeCbor, encodeCbor } from './codec/cbor.js';
export {
  DUMP_OPS,
  Kind,
  type KindName,
  type Message,
  NOTIFICATION_OPS,
  Op,
  type OpName,
  body,
  decodeMessage,
  encodeMessage,
  kindName,
  opByName,
  opName,
} from './codec/messages.js';
export * as fields from './codec/fields.js';
export { fromHex, toHex } from './codec/fields.js';
export * from './codec/session-bodies.js';
export { type JsonValue, type MessageJson, cborToJson, jsonToCbor, messageFromJson, messageToJson } from './codec/json.js';
export { PROTOCOL_VERSION_MAX, PROTOCOL_VERSION_MIN, SCHEMA_HASH, SCHEMA_HASH_HEX } from './codec/schema.js';
export { cobsDecode, cobsEncode, cobsMaxEncodedLength } from './framing/cobs.js';
export {
  DEFAULT_MTU,
  type Frame,
  FrameType,
  type FrameTypeName,
  LINK_VERSION,
  MIN_FRAME_SIZE,
  encodeFrame,
  encodeWire,
  frameTypeName,
  maxEncodedFrameSize,
  maxFrameSize,
  parseEncodedFrame,
  parseFrame,
} from './framing/frame.js';
export { FrameDecoder, type FrameDecoderCounters } from './framing/decoder.js';
export { type Transport, connectTcp, createMemoryPair, openSerialPort, type SerialOptions } from './transport/index.js';
export { type Clock, Link, type LinkCounters, type LinkOptions, type LinkState, systemClock } from './link/link.js';
export {
  Client,
  type ClientCounters,
  type ClientOptions,
  type DumpResult,
  type PingResult,
  type RequestOptions,
} from './session/client.js';
export * from './netmgmt/index.js';
export * as sockets from './sockets/index.js';
export {
  BoardServer,
  BoardSocket,
  BoardUdpSocket,
  ConnectionResetError,
  FeatureUnsupportedError,
  type NetApi,
  type SockAddr,
  Sockets,
  createNetApi,
} from './sockets/index.js';
