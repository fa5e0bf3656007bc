/**
 * Schema hash: the first 8 bytes of SHA-256 of proto/netbridge.cddl. The firmware computes it from
 * the file at build time; the host keeps it as a constant (no file access at run time), and
 * test/schema.test.ts recomputes it from the file so an edit to the schema cannot go unnoticed.
 */
import { fromHex } from './fields.js';

export const SCHEMA_HASH_HEX = 'cbe4b43ed3d1a5b2';
export const SCHEMA_HASH: Uint8Array = fromHex(SCHEMA_HASH_HEX);

/** Protocol versions this host speaks (HELLO keys 1 and 2). */
export const PROTOCOL_VERSION_MIN = 1;
export const PROTOCOL_VERSION_MAX = 1;
