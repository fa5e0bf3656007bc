/**
 * What every HIL test file needs: the target's facts, a client on its bridge UART and the control
 * channel. Works unchanged against a real board (no expected facts, reset through REBOOT).
 */
import { Client } from '../../src/index.js';
import { ControlClient, hilEnv, type Describe, type HilEnv } from './control.js';

export interface Hil extends HilEnv {
  control: ControlClient | null;
  describe: Describe;
}

export async function hil(): Promise<Hil> {
  const env = hilEnv();
  const control = await ControlClient.fromEnv();
  const describe: Describe = control
    ? await control.describe()
    : { target: env.target, resetKind: 'protocol', canSetLink: false, hasConsole: false };
  return { ...env, control, describe };
}

/** A session on the target's bridge UART; the handshake gets a boot's worth of time. */
export function openClient(h: HilEnv, timeout = 15_000): Promise<Client> {
  return Client.open({ path: h.bridgePath, baudRate: h.baudRate, timeout });
}

/** Deterministic pseudo-random bytes, so a failure names the payload that broke. */
export function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}
