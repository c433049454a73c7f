/**
 * Fencing of a cluster bus event's effects (`shared/effect_fence.ts`): a
 * handler that was running when its node was paused (SIGSTOP, a long GC) past
 * its partition lease goes on when the node wakes, while the partition's next
 * owner has run the event again. Its late mutating calls must not land: each
 * is checked against the lease as this node accounts it (`Handover.mayAct`:
 * the expiry this node computed at its last renewal, minus the safety margin;
 * the next owner waits for that expiry plus the clock-skew margin) at the
 * moment it is executed, and refused once the lease has lapsed. The event is
 * then left unmarked and unacked (`Handover.fenced`), so it runs on the next
 * owner, whose journal replays what this run did before the lapse.
 *
 * Reads are not fenced: a read changes nothing, and whatever a handler does
 * with what it read goes through a fenced call. Refusing them would only fail
 * handlers sooner on a node whose renewal is merely late.
 *
 * @module
 */

import { type EffectFence, effectFence, EffectFenced } from "../../shared/effect_fence.ts";
import type { FetchArgs, OperationName } from "../sandbox/protocol/mod.ts";
import { MUTATING_OPERATIONS } from "./effect_journaling.ts";
import type { EffectTenure } from "./guild_queue.ts";

/** Fetch methods that only read (RFC 9110's safe methods). */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Whether a call changes something outside the handler: a mutating operation
 * (KV, sorted sets, tasks, Discord), or a `fetch` with an unsafe method.
 */
export function isFencedCall(op: OperationName, args: unknown): boolean {
  if (MUTATING_OPERATIONS.has(op)) return true;
  if (op !== "fetch") return false;
  const method = (args as Partial<FetchArgs> | null)?.method;
  return typeof method !== "string" || !SAFE_METHODS.has(method.toUpperCase());
}

/** One call's fence: refuses (and tells, once) when this node may no longer act for the event. */
export class HandoverFence implements EffectFence {
  #refused = false;

  constructor(
    readonly guildId: string,
    readonly op: OperationName,
    readonly handover: EffectTenure,
    readonly onFenced: (op: OperationName) => void,
  ) {}

  check(): void {
    if (this.handover.mayAct()) return;
    if (!this.#refused) {
      this.#refused = true;
      this.handover.fenced();
      this.onFenced(this.op);
    }
    throw new EffectFenced(
      `${this.op}: this node lost guild ${this.guildId}'s partition ` +
        `${this.handover.partition} (its lease lapsed); ` +
        (this.handover.outcome ?? "the event runs on its next owner"),
    );
  }
}

/**
 * Runs a bus event's call under its fence when the call changes something:
 * checked at once, and again wherever the effect lands (`checkEffectFence`,
 * or the fence `execute` is handed, which saves that lookup; undefined for a
 * call that changes nothing).
 *
 * @example
 * ```ts
 * await runFenced("1", "kv.set", args, handover, (op) => fenced.inc(op), (fence) => {
 *   fence?.check(); // as late as possible, after every await that could span a pause
 *   return operations.execute("1", "kv.set", args);
 * });
 * ```
 */
export function runFenced<T>(
  guildId: string,
  op: OperationName,
  args: unknown,
  handover: EffectTenure,
  onFenced: (op: OperationName) => void,
  execute: (fence: EffectFence | undefined) => Promise<T>,
): Promise<T> {
  if (!isFencedCall(op, args)) return execute(undefined);
  const fence = new HandoverFence(guildId, op, handover, onFenced);
  try {
    fence.check();
  } catch (error) {
    return Promise.reject(error);
  }
  return effectFence.run(fence, execute, fence);
}
