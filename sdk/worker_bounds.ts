/**
 * What one worker may put in flight toward its sandbox process and the
 * host, cut inside the worker before anything crosses a boundary: a log
 * line's size and the rate of lines and characters (one `console.log` of 50 MB used to
 * stall every worker of the process and grow the host by a gigabyte), and
 * the host calls waiting for an answer (50,000 concurrent `kv.get` used to
 * delay the whole host). A script over these limits slows down or loses
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
 * Lets at most `limit` calls be in flight; the others wait, in order, for
 * a slot.
 *
 * @example
 * ```ts
 * const gate = new CallGate(1);
 * gate.run(() => { /* sent now *\/ });
 * gate.run(() => { /* sent when the first is done *\/ });
 * gate.done();
 * ```
 */
export class CallGate {
  #inFlight = 0;
  #waiting: (() => void)[] = [];

  constructor(readonly limit: number = MAX_CALLS_IN_FLIGHT) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`a call gate needs a limit of at least 1 (got ${limit})`);
    }
  }

  /** Calls in flight now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Calls waiting for a slot. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Runs `start` now if a slot is free, else once one is. */
  run(start: () => void): void {
    if (this.#inFlight < this.limit) {
      this.#inFlight++;
      start();
    } else this.#waiting.push(start);
  }

  /** One call in flight got its answer: the oldest waiting one takes its slot. */
  done(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#inFlight--;
  }
}
