/**
 * Nonces that make a script's replies idempotent across a host restart. After
 * a crash the gateway RESUMEs from the last event fully handled, so an event
 * whose reply went out just before the crash is handled again. Each reply to a
 * message is sent with `enforce_nonce` and a nonce made of the message's id
 * and the reply's position among the replies to it (in this host's life); the
 * replayed handler's reply carries the same nonce and Discord returns the
 * message it already created instead of posting it twice.
 *
 * @module
 */

/** Messages whose reply counts are kept. @default 10_000 */
export const REPLY_NONCE_MESSAGES = 10_000;

/**
 * Hands out one nonce per reply (a bounded map, oldest forgotten first).
 *
 * @example
 * ```ts
 * const nonces = new ReplyNonces();
 * nonces.next("1234"); // "1234.0"
 * nonces.next("1234"); // "1234.1"
 * ```
 */
export class ReplyNonces {
  #counts = new Map<string, number>();

  constructor(readonly capacity = REPLY_NONCE_MESSAGES) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`capacity must be a whole number ≥ 1 (got ${capacity})`);
    }
  }

  /** The nonce of the next reply to `messageId` (Discord allows 25 characters: id + `.` + n). */
  next(messageId: string): string {
    const n = this.#counts.get(messageId) ?? 0;
    this.#counts.delete(messageId);
    this.#counts.set(messageId, n + 1);
    if (this.#counts.size > this.capacity) {
      this.#counts.delete(this.#counts.keys().next().value!);
    }
    return `${messageId}.${n}`;
  }
}

/**
 * The body to send for a message: a reply without a nonce of its own gets one
 * from `nonces`, enforced; anything else is sent as the script wrote it.
 */
export function withReplyNonce(
  data: Record<string, unknown>,
  nonces: ReplyNonces,
): Record<string, unknown> {
  const reference = data.message_reference as { message_id?: unknown } | undefined;
  const messageId = reference?.message_id;
  if (data.nonce !== undefined || typeof messageId !== "string" || messageId.length > 20) {
    return data;
  }
  return { ...data, nonce: nonces.next(messageId), enforce_nonce: true };
}
