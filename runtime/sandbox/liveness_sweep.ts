/**
 * The pool's periodic liveness sweep: kills the sandbox processes that
 * stopped answering, unless the host itself was the one stalled.
 *
 * @module
 */

import { checkLiveness } from "./liveness.ts";
import type { SandboxProcess } from "./process_slot.ts";
import type { SandboxChild } from "./sandbox_child.ts";

/** Remembers when it last ran, to tell a stalled host from silent processes. */
export class LivenessSweep {
  #livenessCheckedAt: number | null = null;

  /**
   * Kills every ready process (serving or standby) the host has not heard
   * from for `silenceMs`: its slot takes a standby and its guilds' unstarted
   * events go there, as after a crash. Nobody is blamed for it (reason
   * `process`) unless a worker of it was reported silent just before.
   */
  sweep(
    processes: SandboxProcess[],
    standbys: readonly SandboxChild[],
    silenceMs: number,
  ): void {
    const now = performance.now();
    const children = [
      ...processes.flatMap((p) => (p.current ? [p.current] : [])),
      ...standbys,
    ];
    const { late, silent } = checkLiveness(children, now, this.#livenessCheckedAt, {
      silenceMs,
      checkEveryMs: silenceMs / 5,
    });
    this.#livenessCheckedAt = now;
    if (late) {
      // The host itself was stalled: what looked like silence may be its own.
      for (const child of children) child.lastHeardAt = now;
      return;
    }
    for (const { process: child, silentMs } of silent) {
      const name = processes.find((p) => p.current === child)?.name ??
        "a standby sandbox process";
      const reason = `${name} (pid ${child.pid}) stopped answering for ${silentMs} ms ` +
        "(stopped, deadlocked or swapping); it was killed and replaced";
      console.error(`flora: ${reason}`);
      child.killUnresponsive(reason);
    }
  }
}
