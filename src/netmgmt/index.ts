/** net_mgmt over the bridge: event codes, events and requests, and the network monitor. */
export * from './codes.js';
export { type IpFamily, type ParsedAddress, formatAddress, formatLinkAddress, isLinkLocal, parseAddress } from './addr.js';
export {
  ADDR_ORIGINS,
  ADDR_STATES,
  type AddrOrigin,
  type AddrState,
  type EventInfo,
  IFACE_FLAGS,
  type IfAddress,
  type IfaceFlagName,
  type NetInterface,
  type SockAddr,
  flagNames,
  hasFlag,
} from './bodies.js';
export { DumpInterruptedError, InvalidAddressError, SubscriptionLimitError } from './errors.js';
export {
  type AddrAddOptions,
  EventCallback,
  type EventHandler,
  type EventMask,
  type EventStream,
  type NetEvent,
  NetMgmt,
  type NetMgmtCounters,
  type NetMgmtOptions,
  type Resync,
  type WaitOptions,
} from './netmgmt.js';
export { type MonitorCounters, NetworkMonitor, type NetworkMonitorOps, type NetworkMonitorOptions } from './monitor.js';
