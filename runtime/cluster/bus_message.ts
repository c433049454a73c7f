/**
 * The format of one event on the bus: what a gateway node publishes and a
 * runtime node reads back. Kept apart from the bus's streams and consumers
 * (`event_bus.ts`) so the two sides' format lives in one place.
 *
 * @module
 */

/** One routed dispatch on the bus. */
export interface BusEvent {
  /** Stable id: the same event published twice (e.g. replayed by a RESUME) has the same id. */
  id: string;
  guildId: string;
  /** The gateway payload, as the event router receives it. */
  payload: unknown;
  /** The shard that received it. */
  shardId?: number;
  /**
   * The payload's JSON text as the gateway received it, when known. The bus carries it as
   * is (not encoded again), and the runtime node hands it to the sandbox as is.
   */
  frame?: string;
}

/**
 * A bus message is one line `@<guild id> <shard or -> <event id>` and then the
 * payload's JSON text: a dispatch's frame goes from the gateway's socket to the
 * sandbox without being encoded again. The id also rides as `Nats-Msg-Id`, for
 * JetStream's dedup; the runtime node reads none of the headers, whose decoding
 * in nats.js (`MsgHdrsImpl.decode`) was 28 µs p50 of each reply's path on a
 * loaded machine (`bench/hop_probe.ts`, load 22–33).
 *
 * Messages of gateway nodes before this format are still read: the frame with
 * the guild and shard in headers, or (older still) the whole event's JSON.
 */
const LINE_MARK = "@";
const GUILD_HEADER = "Flora-Guild";
const SHARD_HEADER = "Flora-Shard";

/** The headers an older gateway node's message carried (nats.js's `MsgHdrs` satisfies it). */
export interface BusHeaders {
  get(name: string): string;
}

/**
 * The body of `event`'s bus message: its line, then its frame (or its payload's JSON).
 *
 * @example
 * ```ts
 * encodeBusMessage({ id: "s:1", guildId: "101", shardId: 0, payload: {}, frame: "{}" });
 * // "@101 0 s:1\n{}"
 * ```
 */
export function encodeBusMessage(event: BusEvent): string {
  // The event's line ends at the first line break, its guild id at the first space.
  if (/\s/.test(event.guildId) || event.id.includes("\n")) {
    throw new RangeError(
      `bus event ${JSON.stringify(event.id)} of guild ${JSON.stringify(event.guildId)}: ` +
        "a guild id with white space or an event id with a line break",
    );
  }
  const frame = event.frame ?? JSON.stringify(event.payload);
  return `${LINE_MARK}${event.guildId} ${event.shardId ?? "-"} ${event.id}\n${frame}`;
}

/**
 * The event a bus message carries, from its body and (for older gateway nodes' messages) its
 * headers; throws on a malformed event line.
 *
 * @example
 * ```ts
 * decodeBusMessage('@101 0 s:1\n{"t":"MESSAGE_CREATE","d":{}}').guildId; // "101"
 * ```
 */
export function decodeBusMessage(body: string, headers?: BusHeaders): BusEvent {
  if (body.startsWith(LINE_MARK)) {
    const end = body.indexOf("\n");
    const space = body.indexOf(" ");
    const space2 = body.indexOf(" ", space + 1);
    if (end < 0 || space < 0 || space2 < 0 || space2 > end) {
      throw new Error(`malformed event line ${JSON.stringify(body.slice(0, 80))}`);
    }
    const shard = body.slice(space + 1, space2);
    const frame = body.slice(end + 1);
    return {
      id: body.slice(space2 + 1, end),
      guildId: body.slice(LINE_MARK.length, space),
      shardId: shard === "-" ? undefined : Number(shard),
      payload: JSON.parse(frame),
      frame,
    };
  }
  const guildId = headers?.get(GUILD_HEADER);
  // From a gateway node before frames rode the bus: the whole event as one JSON document.
  if (!guildId) return JSON.parse(body) as BusEvent;
  const frame = body;
  const shard = headers!.get(SHARD_HEADER);
  return {
    id: headers!.get("Nats-Msg-Id"),
    guildId,
    shardId: shard ? Number(shard) : undefined,
    payload: JSON.parse(frame),
    frame,
  };
}
