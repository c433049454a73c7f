/**
 * Moved to `protocol/mod.ts` (the protocol is now a folder). Kept as a thin
 * re-export only while branches in flight still import this path.
 *
 * @module
 */

export * from "./protocol/mod.ts";
