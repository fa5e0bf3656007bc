/**
 * Every error the library throws is a NetbridgeError with a stable `code` (NB_...), so callers can
 * branch on `err.code` without parsing messages.
 */
export class NetbridgeError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A CBOR item or message that breaks the canonical encoding or the message shape. */
export class MalformedMessageError extends NetbridgeError {
  constructor(message: string) {
    super('NB_MALFORMED', message);
  }
}

/** Why a run of bytes between two 0x00 delimiters is not a frame (vector `error` values). */
export type FrameErrorReason = 'COBS' | 'SHORT' | 'OVERSIZE' | 'CRC' | 'VERSION' | 'TYPE';

export class FrameError extends NetbridgeError {
  readonly reason: FrameErrorReason;
  constructor(reason: FrameErrorReason, message: string) {
    super('NB_BAD_FRAME', message);
    this.reason = reason;
  }
}

/** The peer broke the protocol (unexpected answer, missing field, wrong op in a response...). */
export class ProtocolError extends NetbridgeError {
  constructor(message: string) {
    super('NB_PROTOCOL', message);
  }
}

export class VersionMismatchError extends NetbridgeError {
  constructor(
    message: string,
    readonly hostRange: [number, number],
    readonly boardVersion: number,
  ) {
    super('NB_VERSION_MISMATCH', message);
  }
}

export class SchemaMismatchError extends NetbridgeError {
  constructor(
    readonly hostHash: string,
    readonly boardHash: string,
  ) {
    super(
      'NB_SCHEMA_MISMATCH',
      `board schema hash ${boardHash} differs from host ${hostHash}: host and firmware were built from different proto/netbridge.cddl`,
    );
  }
}

export class TimeoutError extends NetbridgeError {
  constructor(message: string) {
    super('NB_ETIMEDOUT', message);
  }
}

export class AbortError extends NetbridgeError {
  constructor(message = 'operation aborted', options?: { cause?: unknown }) {
    super('NB_ABORTED', message, options);
  }
}

/** The ARQ exhausted its retries: the peer stopped acknowledging. */
export class LinkDownError extends NetbridgeError {
  constructor(message: string) {
    super('NB_LINK_DOWN', message);
  }
}

/** A link reset discarded this frame before the peer acknowledged it; it was not retransmitted. */
export class LinkResetError extends NetbridgeError {
  constructor(message: string) {
    super('NB_LINK_RESET', message);
  }
}

/** The board's boot id changed: whatever was pending on the old boot is gone. */
export class BoardRebootedError extends NetbridgeError {
  constructor(
    readonly previousBootId: string,
    readonly bootId: string,
  ) {
    super('NB_BOARD_REBOOTED', `board rebooted (boot id ${previousBootId} -> ${bootId})`);
  }
}

/** The board answered ERR: a Zephyr errno (and optionally extack text, field key, DNS error). */
export class BoardError extends NetbridgeError {
  readonly errno: number;
  readonly errnoName: string;
  readonly extack: string | undefined;
  readonly field: number | undefined;
  readonly gaiError: number | undefined;
  readonly op: number;
  constructor(init: {
    op: number;
    errno: number;
    errnoName: string;
    extack?: string | undefined;
    field?: number | undefined;
    gaiError?: number | undefined;
  }) {
    const detail = [
      init.extack,
      init.field !== undefined ? `field ${init.field}` : undefined,
      init.gaiError !== undefined ? `getaddrinfo error ${init.gaiError}` : undefined,
    ]
      .filter((s) => s !== undefined)
      .join('; ');
    super(
      'NB_BOARD_ERRNO',
      `board error ${init.errnoName} (${init.errno}) for op 0x${init.op.toString(16)}${detail ? `: ${detail}` : ''}`,
    );
    this.op = init.op;
    this.errno = init.errno;
    this.errnoName = init.errnoName;
    this.extack = init.extack;
    this.field = init.field;
    this.gaiError = init.gaiError;
  }
}

export class ClosedError extends NetbridgeError {
  constructor(message = 'client is closed') {
    super('NB_CLOSED', message);
  }
}

/** Opening or using the serial port / TCP socket failed. */
export class PortError extends NetbridgeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('NB_PORT', message, options);
  }
}

/** A bounded queue is full; the item was not accepted (and was counted). */
export class QueueFullError extends NetbridgeError {
  constructor(message: string) {
    super('NB_QUEUE_FULL', message);
  }
}

/** A message does not fit in the peer's MTU. */
export class MessageTooLargeError extends NetbridgeError {
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super('NB_EMSGSIZE', `message of ${size} bytes exceeds the peer's MTU of ${limit} bytes`);
  }
}
