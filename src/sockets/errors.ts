/** Typed errors of the sockets mirror and streams. Board failures stay BoardError (errno by name). */
import { errnoNumber } from '../errno.js';
import { BoardError, BoardRebootedError, ClosedError, LinkDownError, LinkResetError, NetbridgeError } from '../errors.js';

/** A call the host refuses before sending it (bad family, port, value form...), errno as the board would say. */
export class InvalidArgumentError extends NetbridgeError {
  readonly errno: number;
  constructor(
    readonly errnoName: string,
    message: string,
  ) {
    super('NB_INVALID_ARGUMENT', message);
    this.errno = errnoNumber(errnoName) ?? 22;
  }
}

export type BoardFeature = 'sockets' | 'tls' | 'dns';

/** The board's HELLO does not announce the feature the call needs (a build without TLS, ...). */
export class FeatureUnsupportedError extends NetbridgeError {
  readonly errnoName = 'ENOTSUP';
  readonly errno = 134;
  constructor(
    readonly feature: BoardFeature,
    message: string,
  ) {
    super(feature === 'tls' ? 'NB_TLS_UNSUPPORTED' : 'NB_FEATURE_UNSUPPORTED', message);
  }
}

export type ResetReason = 'board-rebooted' | 'link-down' | 'client-closed';

/**
 * A stream or socket ended because the board or the line went away, not because the peer closed:
 * stable code NB_ECONNRESET, errno ECONNRESET, `reason` says which, `cause` holds the session error.
 */
export class ConnectionResetError extends NetbridgeError {
  readonly errnoName = 'ECONNRESET';
  readonly errno = 104;
  constructor(
    readonly reason: ResetReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('NB_ECONNRESET', message, options);
  }
}

/** True when `err` is the board's errno `name` ("ECONNREFUSED"). */
export function isErrno(err: unknown, name: string): boolean {
  return (
    (err instanceof BoardError || err instanceof InvalidArgumentError || err instanceof ConnectionResetError) &&
    err.errnoName === name
  );
}

/**
 * The session errors that mean "the board or the line went away" as ConnectionResetError (so a
 * stream fails with one stable code whichever request noticed first); anything else unchanged.
 */
export function asResetError(err: unknown): Error {
  if (err instanceof ConnectionResetError) return err;
  if (err instanceof BoardRebootedError) return new ConnectionResetError('board-rebooted', err.message, { cause: err });
  if (err instanceof LinkDownError || err instanceof LinkResetError) return new ConnectionResetError('link-down', err.message, { cause: err });
  if (err instanceof ClosedError) return new ConnectionResetError('client-closed', err.message, { cause: err });
  return err instanceof Error ? err : new Error(String(err));
}
