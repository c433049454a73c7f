/**
 * Guilds the operator gave sandbox processes of their own
 * (`FLORA_DEDICATED_GUILDS`): no other guild's worker ever shares their
 * address space, so a neighbour can neither read their memory (Spectre-class
 * timing) nor take their process down with it. Each process starts with its
 * guild's first worker and stays for the pool's life; it has no standby (a
 * death restarts it afresh) and its deaths are its guild's alone.
 *
 * @module
 */

import { type SandboxProcess, type SoloProcessContext, startSoloProcess } from "./process_slot.ts";

/** The dedicated guilds, each with its process once its first worker started. */
export class DedicatedGuilds {
  readonly #guilds: ReadonlySet<string>;
  readonly #processes = new Map<string, SandboxProcess>();
  #closed = false;

  constructor(readonly context: SoloProcessContext) {
    this.#guilds = new Set(context.options.dedicatedGuilds ?? []);
  }

  /** Whether a guild runs in a process of its own. */
  has(guildId: string): boolean {
    return this.#guilds.has(guildId);
  }

  /**
   * The process a dedicated guild's workers live in, started the first time
   * it is asked for (undefined: not a dedicated guild, or the pool closed).
   */
  placeFor(guildId: string): SandboxProcess | undefined {
    if (!this.#guilds.has(guildId) || this.#closed) return undefined;
    let process = this.#processes.get(guildId);
    if (!process) {
      // It holds one guild: there is nobody to move apart.
      process = startSoloProcess(this.context, guildId, () => {});
      this.#processes.set(guildId, process);
    }
    return process;
  }

  /** The dedicated processes started so far. */
  processes(): SandboxProcess[] {
    return [...this.#processes.values()];
  }

  /** Dedicated guilds whose process started, with its id (for supervision and tests). */
  pids(): Map<string, number | undefined> {
    return new Map([...this.#processes].map(([guildId, process]) => [guildId, process.pid]));
  }

  /** Starts no more processes; returns those started, for the caller to close. */
  stop(): SandboxProcess[] {
    this.#closed = true;
    const processes = this.processes();
    this.#processes.clear();
    return processes;
  }
}
