/** BSD sockets on the board: the zsock mirror, Node-style streams and the `board.net` facade. */
export * from './constants.js';
export { type SockAddr, familyOf, inet_ntop, inet_pton } from './addr.js';
export { type BoardFeature, ConnectionResetError, FeatureUnsupportedError, InvalidArgumentError, type ResetReason, isErrno } from './errors.js';
export { type Linger, type OptionForm, type OptionSpec, SOCKET_OPTIONS, type SockOptValue, optionSpec } from './options.js';
export { type PushHandler, type RouterCounters, SockEvent, SocketRouter } from './router.js';
export {
  type AddrInfo,
  type AddrInfoHints,
  type BlockingOptions,
  type CallOptions,
  type MsgHdr,
  type PollFd,
  type RecvFromResult,
  type SelectResult,
  Sockets,
} from './zsock.js';
export { BoardServer, BoardSocket, type BoardSocketOptions, type ConnectOptions, type ListenOptions, type ServerOptions, type StreamCounters } from './streams.js';
export { BoardUdpSocket, type RemoteInfo, type UdpSocketOptions } from './dgram.js';
export { type NetApi, createNetApi } from './net.js';
