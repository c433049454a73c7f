/**
 * Gateway frames passed through as text. A dispatch reaches the host as the
 * JSON text of its gateway frame; the host parses it once to route it, and
 * sends the worker that same text rather than serialising the parsed payload
 * again. Between the host and the sandbox process the frames ride raw after
 * the batch's line (`NdjsonWriter.write`'s `raw`), so the process never
 * parses them either; the worker gets a string (cheap to hand over, unlike
 * an object's structured clone) and parses it once.
 *
 * @module
 */

import type { EventMessage } from "./worker_messages.ts";

/**
 * The payload of an event a worker runs: its frame's `d`, or the payload sent as a value.
 *
 * @example
 * ```ts
 * eventPayload({ id: 1, name: "messageCreate", frame: '{"op":0,"t":"MESSAGE_CREATE","d":{"id":"5"}}' });
 * // { id: "5" }
 * eventPayload({ id: 2, name: "ready", payload: { guildId: "1" } }); // { guildId: "1" }
 * ```
 */
export function eventPayload(event: EventMessage): unknown {
  if (event.frame === undefined) return event.payload;
  return (JSON.parse(event.frame) as { d?: unknown }).d;
}

/**
 * The frames of a batch whose every event has one, in order (the line's raw
 * parts: texts, or the host's kept bytes); null when some event has none (the
 * batch then goes as values).
 *
 * @example
 * ```ts
 * framesOf([{ frame: "{}" }, { frame: "[]" }]); // ["{}", "[]"]
 * framesOf([{ frame: "{}" }, {}]); // null
 * ```
 */
export function framesOf<F>(events: readonly { frame?: F }[]): F[] | null {
  const frames: F[] = [];
  for (const event of events) {
    if (event.frame === undefined) return null;
    frames.push(event.frame);
  }
  return frames;
}

/**
 * Gives each event of a batch its frame from the raw texts that came with
 * its line (one per event, in order). False when they do not match: the
 * batch is then malformed.
 *
 * @example
 * ```ts
 * const events = [{ id: 1, name: "messageCreate" as const }];
 * attachFrames(events, ['{"op":0,"d":{}}']); // true; events[0].frame is the text
 * ```
 */
export function attachFrames(events: EventMessage[], raw: readonly string[]): boolean {
  if (raw.length === 0) return true;
  if (raw.length !== events.length) return false;
  for (let i = 0; i < events.length; i++) events[i].frame = raw[i];
  return true;
}
