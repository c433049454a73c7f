/**
 * Fencing of effects: a mutating call made for a cluster's bus event runs
 * only while this node still holds the event's partition lease by its own
 * conservative accounting. The host sets the fence around the call
 * (`runtime/host/effect_fencing.ts`); the places where the effect is about to
 * land check it as late as they can: before the operation runs, just before
 * Discordeno sends the request (after its queues), and just before a
 * PostgreSQL KV write commits. A failed check throws {@linkcode EffectFenced}.
 *
 * @module
 */

import { AsyncLocalStorage } from "node:async_hooks";

/** Whether this node may still make the current call's effect happen. */
export interface EffectFence {
  /** Throws {@linkcode EffectFenced} once the event's partition lease has lapsed here. */
  check(): void;
}

/** A mutating call refused because this node no longer holds the event's partition. */
export class EffectFenced extends Error {
  override name = "EffectFenced";
}

/** The fence of the call in progress (set by the host around a bus event's mutating call). */
export const effectFence = new AsyncLocalStorage<EffectFence>();

/**
 * Checks the fence of the call in progress, if any.
 *
 * @example
 * ```ts
 * checkEffectFence(); // throws EffectFenced when this node lost the event's partition
 * await send();
 * ```
 */
export function checkEffectFence(): void {
  effectFence.getStore()?.check();
}
