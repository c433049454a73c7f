/**
 * What routing a guild's dispatch needs — `op`, `t`, `s` and `d`'s own
 * `guild_id` — read from its gateway frame's text without parsing it. The
 * host forwards a dispatch's frame to the guild's worker as it came
 * (`protocol/event_frames.ts`), so for most events it never needs the
 * payload itself; Discordeno's `JSON.parse` of every frame was a fifth of
 * the host's samples through the emulator, and its objects a quarter of
 * what the host allocated. Measured on an 879-byte `MESSAGE_CREATE`: this
 * scan 1.1–1.3 µs against `JSON.parse` 2.1–2.2 µs, and it allocates only
 * the three strings it returns.
 *
 * Strict by construction, since a wrong guild id would hand one guild's
 * event to another's script: a key is only a string directly followed by a
 * colon, found while tracking depth outside strings (escapes honoured), so
 * text inside a message (`"guild_id":"…"` typed by a user) is never a key,
 * and a nested `guild_id` (a message reference, a forwarded message) is not
 * `d`'s own. Anything it does not expect — whitespace between tokens, a
 * duplicate key, an escaped key at the top two levels, a guild id that is
 * not a snowflake, a second top-level value — gives null, and the frame takes the ordinary parse.
 *
 * @module
 */

/** A dispatch's routing fields, as its frame states them. */
export interface FrameRoute {
  /** The dispatch's name (`MESSAGE_CREATE`). */
  t: string;
  /** Its sequence number. */
  s: number;
  /** `d.guild_id` (a snowflake), if `d` has its own. */
  guildId: string | undefined;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const ZERO = 0x30;
const NINE = 0x39;
const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;

/** The index of the quote closing the string whose opening quote is at `at`; -1 if none. */
function stringEnd(text: string, at: number): number {
  let end = text.indexOf('"', at + 1);
  while (end !== -1 && text.charCodeAt(end - 1) === BACKSLASH) {
    let slashes = 1;
    for (let i = end - 2; text.charCodeAt(i) === BACKSLASH; i--) slashes++;
    if ((slashes & 1) === 0) return end; // the backslashes escape one another
    end = text.indexOf('"', end + 1);
  }
  return end;
}

/** The string value at `at` (its opening quote) when it holds no escape; undefined otherwise. */
function plainString(text: string, at: number): string | undefined {
  if (text.charCodeAt(at) !== QUOTE) return undefined;
  const end = text.indexOf('"', at + 1);
  if (end === -1) return undefined;
  const value = text.slice(at + 1, end);
  return value.includes("\\") ? undefined : value;
}

/** The index past the digits at `at` when they are a whole number ended by `,` or `}`; -1 otherwise. */
function digitsEnd(text: string, at: number): number {
  let i = at;
  for (let c = text.charCodeAt(i); c >= ZERO && c <= NINE; c = text.charCodeAt(++i));
  if (i === at || i - at > 15) return -1;
  const next = text.charCodeAt(i);
  return next === COMMA || next === RBRACE ? i : -1;
}

/** Whether `text` holds a backslash between `from` and `to` (a key's text: short). */
function hasEscape(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (text.charCodeAt(i) === BACKSLASH) return true;
  return false;
}

function isSnowflake(value: string): boolean {
  if (value.length === 0 || value.length > 20) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < ZERO || c > NINE) return false;
  }
  return true;
}

/**
 * The routing fields of a compact dispatch frame (`op` 0 with a string `t`
 * and a numbered `s`); null for anything else, or anything it cannot read
 * with certainty (the caller then parses the frame).
 *
 * @example
 * ```ts
 * frameRoute('{"t":"MESSAGE_CREATE","s":7,"op":0,"d":{"content":"\\"guild_id\\":\\"2\\"","guild_id":"1"}}');
 * // { t: "MESSAGE_CREATE", s: 7, guildId: "1" }
 * frameRoute('{"op":11,"d":null}'); // null: not a dispatch
 * ```
 */
export function frameRoute(text: string): FrameRoute | null {
  const n = text.length;
  if (n < 2 || text.charCodeAt(0) !== LBRACE) return null;
  let depth = 0;
  /** Whether the frame's current top-level key is `d`. */
  let inD = false;
  let op = -1;
  let t: string | undefined;
  let s = -1;
  let guildId: string | undefined;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    // Whitespace outside strings: not a compact frame, and a key spaced from its colon
    // would go unseen (`"guild_id" :`), so decline rather than read around it.
    if (c === SPACE || c === TAB || c === LF || c === CR) return null;
    if (c === LBRACE || c === LBRACKET) depth++;
    else if (c === RBRACE || c === RBRACKET) {
      // The first object closes at the end, or this is not one frame.
      if (--depth <= 0 && (depth < 0 || i !== n - 1)) return null;
    } else if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (end === -1) return null;
      const isKey = text.charCodeAt(end + 1) === COLON;
      if (!isKey || depth > 2) {
        i = end;
        continue;
      }
      // An escaped key (`"guild\\u005fid"`) means to JSON.parse what its decoded text says,
      // which this scan does not decode: decline.
      if (hasEscape(text, i + 1, end)) return null;
      const length = end - i - 1;
      const value = end + 2;
      if (depth === 1) {
        const k = text.charCodeAt(i + 1);
        inD = length === 1 && k === 0x64; // d
        if (length === 1 && k === 0x74) { // t
          t = t === undefined ? plainString(text, value) : undefined;
          if (t === undefined) return null;
          i = value + t.length + 1;
          continue;
        }
        const isS = length === 1 && k === 0x73;
        if (isS || (length === 2 && k === 0x6f && text.charCodeAt(i + 2) === 0x70)) { // s, op
          const digits = digitsEnd(text, value);
          if (digits === -1 || (isS ? s : op) !== -1) return null;
          const number = Number(text.slice(value, digits));
          if (isS) s = number;
          else op = number;
          i = digits - 1;
          continue;
        }
      } else if (depth === 2 && inD && length === 8 && text.startsWith("guild_id", i + 1)) {
        const id = guildId === undefined ? plainString(text, value) : undefined;
        if (id === undefined || !isSnowflake(id)) return null;
        guildId = id;
        i = value + id.length + 1;
        continue;
      }
      i = end;
    }
  }
  if (depth !== 0 || op !== 0 || t === undefined || s === -1) return null;
  return { t, s, guildId };
}
