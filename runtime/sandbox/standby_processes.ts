/**
 * Standby sandbox processes: started ahead of need (`init` done, spare workers
 * warm) so a slot whose process dies takes one at once; the next one starts in
 * the background a moment later.
 *
 * @module
 */

import type { LinkListener } from "./link_listener.ts";
import type { PoolOptions } from "./pool_types.ts";
import { type ChildOwner, SandboxChild } from "./sandbox_child.ts";

/**
 * How long after a standby is taken before its replacement starts, ms: the
 * restart's cold starts (tens of ms each) get the CPU first, and a second
 * crash soon after still finds a standby. (A standby that dies on its own is
 * replaced after this, doubling while it keeps dying, up to a minute.)
 */
const STANDBY_REFILL_DELAY_MS = 250;

/** The pool's standbys, kept at `options.standby` (default 0). */
export class StandbyProcesses {
  /** Started, initialised processes waiting to replace one that dies. */
  #standbys: SandboxChild[] = [];
  #refill: ReturnType<typeof setTimeout> | undefined;
  /** Standbys that exited on their own in a row (backs off their replacement). */
  #standbyFailures = 0;
  #closed = false;
  /** A standby hosts no workers; if it dies, it is replaced after a pause. */
  readonly #standbyOwner: ChildOwner = {
    message: () => {},
    exited: (child) => {
      const i = this.#standbys.indexOf(child);
      if (i < 0) return;
      this.#standbys.splice(i, 1);
      this.#standbyFailures++;
      this.#scheduleRefill(
        Math.min(60_000, STANDBY_REFILL_DELAY_MS * 2 ** Math.min(this.#standbyFailures, 8)),
      );
    },
  };

  constructor(
    readonly options: PoolOptions,
    /** The host's socket once the pool opened it (null: stdio). */
    readonly link: () => LinkListener | null,
  ) {}

  /** The standbys started now, ready or starting. */
  get children(): readonly SandboxChild[] {
    return this.#standbys;
  }

  /** A standby for a slot whose process died: a ready one first, else the oldest starting. */
  take(): SandboxChild | null {
    if (this.#closed) return null;
    const ready = this.#standbys.findIndex((c) => c.isReady);
    const [child] = this.#standbys.splice(ready >= 0 ? ready : 0, 1);
    if (!child) return null;
    // The replacement waits, so the restart's cold starts get the CPU first.
    this.#scheduleRefill(STANDBY_REFILL_DELAY_MS);
    return child;
  }

  #scheduleRefill(delayMs: number): void {
    if (this.#closed || this.#refill !== undefined) return;
    this.#refill = setTimeout(() => {
      this.#refill = undefined;
      this.fill();
    }, delayMs);
  }

  /** Starts standbys until there are `options.standby`. */
  fill(): void {
    while (!this.#closed && this.#standbys.length < (this.options.standby ?? 0)) {
      const child = new SandboxChild(this.options, this.#standbyOwner, this.link());
      child.ready.then(() => {
        if (child.isReady) this.#standbyFailures = 0;
      });
      this.#standbys.push(child);
    }
  }

  /** Starts no more standbys; returns those started, for the caller to close. */
  stop(): SandboxChild[] {
    this.#closed = true;
    clearTimeout(this.#refill);
    return this.#standbys.splice(0);
  }
}
