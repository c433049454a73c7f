/**
 * What one worker may put in flight toward its sandbox process and the
 * host, cut inside the worker before anything crosses a boundary: a log
 * line's size and the rate of lines and characters (one `console.log` of 50 MB used to
 * stall every worker of the process and grow the host by a gigabyte), and
 * the host calls waiting for an answer and the size of their arguments
 * (50,000 concurrent `kv.get` used to delay the whole host; 32 calls of
 * 20 MB each would have crossed the process's one link). A script over these limits slows down or loses
 * its own log lines; its neighbours do not notice.
 *
 * @module
 */

/** @default 16384: longest log line, characters; the rest is cut with a note. */
export const MAX_LOG_LINE_CHARS = 16_384;
/** @default 50: log lines a worker may send per second on average… */
export const LOG_LINES_PER_SECOND = 50;
/** @default 200: …in bursts of up to this many. */
export const LOG_BURST = 200;
/**
 * @default 65536: characters of log lines a worker may send per second on
 * average (a burst of 200 lines of 16 KiB would otherwise put 3 MiB in front
 * of its neighbours' messages on the process's one link)…
 */
export const LOG_CHARS_PER_SECOND = 64 * 1024;
/** @default 262144: …in bursts of up to this many. */
export const LOG_CHARS_BURST = 256 * 1024;
/** @default 32: host calls of one worker awaiting their answer; more wait in the worker. */
export const MAX_CALLS_IN_FLIGHT = 32;

/**
 * Cuts a log line to {@linkcode MAX_LOG_LINE_CHARS}, saying how much was cut
 * (`fullLength`: the line's length before the caller cut it shorter).
 *
 * @example
 * ```ts
 * cutLogLine("x".repeat(20_000)).length; // about 16,400: the start and a note
 * cutLogLine("short"); // "short"
 * ```
 */
export function cutLogLine(line: string, fullLength = line.length): string {
  if (fullLength <= MAX_LOG_LINE_CHARS) return line;
  const cut = fullLength - MAX_LOG_LINE_CHARS;
  return `${line.slice(0, MAX_LOG_LINE_CHARS)}… [flora: ${cut} more characters cut; ` +
    `log lines are limited to ${MAX_LOG_LINE_CHARS}]`;
}

/**
 * Token buckets of log lines and characters. `take` says whether a line may
 * go now (a line token, and no characters owed); `spend` charges the line's
 * characters once it is formatted, so a refused line is never formatted at
 * all. Lines refused are counted, and the next line let through is preceded
 * by one note of how many were dropped ({@linkcode LogRate.droppedNote}).
 *
 * @example
 * ```ts
 * const rate = new LogRate(() => 0);
 * if (rate.take()) rate.spend("a line".length); // true, until a burst is used up
 * ```
 */
export class LogRate {
  #lines = LOG_BURST;
  #chars = LOG_CHARS_BURST;
  #at: number;
  #dropped = 0;

  constructor(readonly now: () => number = Date.now) {
    this.#at = now();
  }

  /** Whether one more line may be sent now. */
  take(): boolean {
    const now = this.now();
    const seconds = (now - this.#at) / 1000;
    this.#lines = Math.min(LOG_BURST, this.#lines + seconds * LOG_LINES_PER_SECOND);
    this.#chars = Math.min(LOG_CHARS_BURST, this.#chars + seconds * LOG_CHARS_PER_SECOND);
    this.#at = now;
    if (this.#lines >= 1 && this.#chars > 0) {
      this.#lines--;
      return true;
    }
    this.#dropped++;
    return false;
  }

  /** Charges a line let through by {@linkcode take} with its length (the bucket may go into debt). */
  spend(chars: number): void {
    this.#chars -= chars;
  }

  /** A note of the lines dropped since the last one, once (null when none were). */
  droppedNote(): string | null {
    if (this.#dropped === 0) return null;
    const note = `flora: ${this.#dropped} log lines dropped (over ${LOG_LINES_PER_SECOND} ` +
      `lines or ${LOG_CHARS_PER_SECOND / 1024} KiB a second, in bursts of ${LOG_BURST} lines ` +
      `or ${LOG_CHARS_BURST / 1024} KiB)`;
    this.#dropped = 0;
    return note;
  }
}

/**
 * @default 2097152: the largest call's arguments, characters as JSON (ten
 * 64 KiB KV values in one transaction fit, escaped); larger calls are
 * refused in the worker, before they cross the process and the host's
 * event loop.
 */
export const MAX_CALL_CHARS = 2 * 1024 * 1024;
/**
 * A lower bound of `JSON.stringify(value).length`, given up as soon as it
 * passes `most` (the bound so far is returned then). Refusing an oversized
 * call by serializing it cost what the call would have: 32 calls of 20 MB
 * each took 2.8 s of the script's event budget at load 10 (a refusal's
 * handler then timed out on a busy machine, its reply never sent), where a
 * string's length alone says it is too big. Counted: strings (length and
 * quotes), arrays' brackets and commas; not
 * counted: keys, accessor properties (not called twice), values with
 * `toJSON`, typed arrays. Anything odd (a proxy that throws, nesting too
 * deep) ends the count where it is; JSON.stringify decides then.
 *
 * @example
 * ```ts
 * jsonLengthAtLeast(["k", "x".repeat(5_000_000)], 2_097_152) > 2_097_152; // true, at once
 * jsonLengthAtLeast({ a: 1 }, 100); // 0: nothing counted, JSON.stringify measures it
 * ```
 */
export function jsonLengthAtLeast(value: unknown, most: number): number {
  let count = 0;
  const seen = new Set<object>();
  const walk = (v: unknown): void => {
    if (count > most) return;
    if (typeof v === "string") {
      count += v.length + 2;
      return;
    }
    if (typeof v !== "object" || v === null || seen.has(v) || ArrayBuffer.isView(v)) return;
    if (typeof (v as { toJSON?: unknown }).toJSON === "function") return;
    seen.add(v);
    if (Array.isArray(v)) {
      count += v.length + 1; // brackets and commas
      for (let i = 0; i < v.length && count <= most; i++) walk(v[i]);
      return;
    }
    for (const key of Object.keys(v)) {
      if (count > most) return;
      const property = Object.getOwnPropertyDescriptor(v, key);
      if (property && "value" in property) walk(property.value);
    }
  };
  try {
    walk(value);
  } catch {
    // The count so far is still a lower bound.
  }
  return count;
}

/**
 * @default 22435840: the largest `fetch` call, characters as JSON: a body of
 * the protocol's 16 MiB in base64, and room for the rest.
 */
export const MAX_FETCH_CALL_CHARS = Math.ceil(16 * 1024 * 1024 / 3) * 4 + 64 * 1024;
/**
 * @default 4194304: characters of call arguments a worker may send per
 * second on average, in bursts of up to one largest fetch: the bandwidth of
 * the process's one link (and the host's parsing) that one guild can use.
 */
export const CALL_CHARS_PER_SECOND = 4 * 1024 * 1024;

/** The timer, taken before a script can replace the global one. */
const later = setTimeout;

/**
 * Lets at most `limit` calls be in flight, and their arguments' characters
 * through at most `charsPerSecond` (bursts of one largest fetch); the others
 * wait, in order, for room.
 *
 * @example
 * ```ts
 * const gate = new CallGate(1);
 * gate.run(() => { /* sent now *\/ }, 10);
 * gate.run(() => { /* sent when the first is done *\/ }, 10);
 * gate.done();
 * ```
 */
export class CallGate {
  #inFlight = 0;
  #waiting: { start: () => void; chars: number }[] = [];
  #tokens: number;
  #at: number;
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    readonly limit: number = MAX_CALLS_IN_FLIGHT,
    readonly charsPerSecond: number = CALL_CHARS_PER_SECOND,
    readonly burst: number = MAX_FETCH_CALL_CHARS,
    readonly now: () => number = () => performance.now(),
  ) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`a call gate needs a limit of at least 1 (got ${limit})`);
    }
    this.#tokens = burst;
    this.#at = now();
  }

  /** Calls in flight now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Calls waiting for room. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Runs `start` (a call of `chars` characters) now if there is room, else once there is. */
  run(start: () => void, chars = 0): void {
    this.#waiting.push({ start, chars: Math.min(chars, this.burst) });
    this.#pump();
  }

  /** One call in flight got its answer: the oldest waiting one may take its slot. */
  done(): void {
    this.#inFlight--;
    this.#pump();
  }

  #pump(): void {
    const now = this.now();
    this.#tokens = Math.min(
      this.burst,
      this.#tokens + (now - this.#at) * this.charsPerSecond / 1000,
    );
    this.#at = now;
    while (this.#waiting.length > 0 && this.#inFlight < this.limit) {
      const next = this.#waiting[0];
      if (next.chars > this.#tokens) {
        // Woken when enough characters are earned back (a done() may wake it sooner).
        const ms = Math.ceil((next.chars - this.#tokens) * 1000 / this.charsPerSecond);
        this.#timer ??= later(() => {
          this.#timer = null;
          this.#pump();
        }, ms);
        return;
      }
      this.#waiting.shift();
      this.#tokens -= next.chars;
      this.#inFlight++;
      next.start();
    }
    if (this.#waiting.length === 0 && this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
  }
}
