/**
 * `requestCpuBurst(ms)`: asks for `ms` more budget for the handler that is
 * running, paid from the guild's burst bucket (which refills over time).
 * Refused with an error saying what is left when the bucket cannot pay.
 *
 * @example
 * ```ts
 * on("messageCreate", async (message) => {
 *   if (message.content !== "!report") return;
 *   await requestCpuBurst(5_000); // this handler may now run 5 s longer
 *   crunchNumbers();
 * });
 * ```
 *
 * @module
 */

import { call } from "./bridge.ts";

/** Asks for `ms` (1 to the bucket's size) more budget for this handler; resolves to the ms granted. */
export async function requestCpuBurst(ms: number): Promise<number> {
  if (!Number.isInteger(ms) || ms < 1) {
    throw new TypeError(`requestCpuBurst needs a whole number of milliseconds ≥ 1 (got ${ms})`);
  }
  return await call("cpu.burst", { ms }) as number;
}
