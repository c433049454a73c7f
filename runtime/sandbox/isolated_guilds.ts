/**
 * Guilds moved to sandbox processes of their own after a process death with
 * several suspects: a repeat death there is that guild's alone.
 *
 * @module
 */

import { type SandboxProcess, type SoloProcessContext, startSoloProcess } from "./process_slot.ts";

/**
 * Defaults of {@linkcode PoolOptions.maxIsolated} and
 * {@linkcode PoolOptions.isolationMs}: how many suspects may be apart at once
 * (each holds an idle process's memory, about 60 MiB), and for how long, ms:
 * long enough for a repeat attack to show who it was, short enough that an
 * innocent neighbour does not keep a process's memory for long.
 */
export const ISOLATION_DEFAULTS = { maxIsolated: 4, isolationMs: 10 * 60_000 } as const;

/** The guilds kept apart now, each with its process and until when. */
export class IsolatedGuilds {
  /** Guilds moved to processes of their own, and until when (`Date.now()` ms). */
  #isolated = new Map<string, { process: SandboxProcess; until: number }>();
  #closed = false;

  constructor(readonly context: SoloProcessContext) {}

  /**
   * Moves guilds that were among several suspects of a process death to
   * processes of their own (their next workers start there; each is started
   * now, without taking a standby): a repeat death there is that guild's
   * alone. At most `maxIsolated` at once.
   */
  isolate(guildIds: string[], detail: string): void {
    if (this.#closed) return;
    const { isolationMs, maxIsolated } = { ...ISOLATION_DEFAULTS, ...this.context.options };
    const until = Date.now() + isolationMs;
    const moved: string[] = [];
    for (const guildId of guildIds) {
      const isolated = this.#isolated.get(guildId);
      if (isolated) {
        isolated.until = until;
        continue;
      }
      if (this.#isolated.size >= maxIsolated) break;
      const process = startSoloProcess(this.context, guildId, (ids, why) => this.isolate(ids, why));
      this.#isolated.set(guildId, { process, until });
      moved.push(guildId);
    }
    if (moved.length > 0) {
      console.error(
        `flora: ${detail} with ${guildIds.length} scripts not responding; ` +
          `guild${moved.length > 1 ? "s" : ""} ${moved.join(", ")} now run in sandbox ` +
          `processes of their own for ${isolationMs / 1000} s, so a repeat shows which it was`,
      );
    }
  }

  /** Closes the processes of guilds whose time apart is over, once they hold no worker. */
  release(): void {
    const now = Date.now();
    for (const [guildId, { process, until }] of this.#isolated) {
      if (until > now || process.workers.size > 0 || process.retiring) continue;
      this.#isolated.delete(guildId);
      process.close();
    }
  }

  /** The process a guild's next worker starts in while it is kept apart (undefined: its slot). */
  placeFor(guildId: string): SandboxProcess | undefined {
    const isolated = this.#isolated.get(guildId);
    return isolated && isolated.until > Date.now() ? isolated.process : undefined;
  }

  /** The process a guild was moved to, kept apart or not yet released. */
  processOf(guildId: string): SandboxProcess | undefined {
    return this.#isolated.get(guildId)?.process;
  }

  /** Every process a guild was moved to. */
  processes(): SandboxProcess[] {
    return [...this.#isolated.values()].map((i) => i.process);
  }

  /** Guilds kept in processes of their own now, with those processes' ids. */
  pids(): Map<string, number | undefined> {
    return new Map([...this.#isolated].map(([guildId, { process }]) => [guildId, process.pid]));
  }

  /** Moves no more guilds; returns their processes, for the caller to close. */
  stop(): SandboxProcess[] {
    this.#closed = true;
    const processes = this.processes();
    this.#isolated.clear();
    return processes;
  }
}
