/** Typed errors of the net_mgmt API (stable NB_ codes, like src/errors.ts). */
import { NetbridgeError } from '../errors.js';

/** A string or byte string that is not an IPv4/IPv6 address (or a bad prefix length). */
export class InvalidAddressError extends NetbridgeError {
  constructor(message: string) {
    super('NB_EINVAL_ADDRESS', message);
  }
}

/** The callbacks' masks cannot be folded into the board's subscription slots. */
export class SubscriptionLimitError extends NetbridgeError {
  constructor(
    readonly needed: number,
    readonly limit: number,
  ) {
    super('NB_SUBSCRIPTION_LIMIT', `event masks need ${needed} board subscriptions, the board has ${limit}`);
  }
}

/** IFACE_DUMP stayed interrupted (the state kept changing) through every retry. */
export class DumpInterruptedError extends NetbridgeError {
  constructor(readonly attempts: number) {
    super('NB_DUMP_INTR', `interface dump interrupted ${attempts} times in a row: the board's state kept changing`);
  }
}
