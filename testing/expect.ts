/**
 * The test kit's expectation helpers: what a bot message should look like,
 * the error a failed expectation throws, polling until something holds, and
 * the mark of the test's last action (where `expectMessage` starts looking).
 *
 * @module
 */

import type { ApiMessage } from "../emulator/types.ts";

/** What a bot message should look like: exact content, a content pattern, or a predicate. */
export type MessageMatch = string | RegExp | ((message: ApiMessage) => boolean);

/** Something a test waited for did not happen; the message shows what did. */
export class ExpectationError extends Error {
  override name = "ExpectationError";
}

/**
 * Whether `message` is what `match` describes.
 *
 * @example
 * ```ts
 * matches(/^pong/, message); // true when the content starts with "pong"
 * ```
 */
export function matches(match: MessageMatch, message: ApiMessage): boolean {
  if (typeof match === "string") return message.content === match;
  if (match instanceof RegExp) return match.test(message.content);
  return match(message);
}

/** `match` as an error message names it. */
export function describeMatch(match: MessageMatch): string {
  if (typeof match === "string") return JSON.stringify(match);
  if (match instanceof RegExp) return String(match);
  return "a message matching the predicate";
}

/**
 * Polls `probe` until it returns a value, or throws `onTimeout()`'s error.
 *
 * @example
 * ```ts
 * const reply = await until(() => findReply(), 10_000, () => new ExpectationError("no reply"));
 * ```
 */
export async function until<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  onTimeout: () => Promise<Error> | Error,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) throw await onTimeout();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** When the test last acted (sent, clicked, moved time): bot messages from then on are new. */
export class ActionMark {
  #at = 0;

  /** Epoch ms of the last action (0 before any). */
  get at(): number {
    return this.#at;
  }

  /** The test acts now. */
  mark(): void {
    this.#at = Date.now();
  }
}
