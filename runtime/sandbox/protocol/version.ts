/**
 * The protocol's version, carried by every message as `v`.
 *
 * @module
 */

/** Bumped on any incompatible change to a message shape. */
export const PROTOCOL_VERSION = 3 as const;
