/**
 * Who is blamed when a sandbox process dies: the one guild whose worker it
 * had reported silent just before (a tight loop that exhausted the heap
 * aborts the process), and nobody else. When several guilds' workers were
 * silent, the cause cannot be told apart (a stalled process silences every
 * worker at once, and a neighbour may have been busy for its own good
 * reasons), so none is blamed: each restarts as a neighbour would (reason
 * `process`, which counts towards no crash loop), and the pool moves the
 * suspects to processes of their own ({@linkcode unresolvedSuspects}), where
 * a repeat death can only be the one guild's there.
 *
 * @module
 */

import type { WorkerExitReason, WorkerKey } from "./protocol/mod.ts";
import { workerKeyId } from "./protocol/mod.ts";

/** What one lost worker's owner is told. */
export interface LostWorker {
  key: WorkerKey;
  reason: Extract<WorkerExitReason, "abort"> | "process";
  detail: string;
}

/** The distinct guilds among the lost workers that were reported silent. */
function suspectGuildIds(lost: WorkerKey[], suspects: ReadonlySet<string>): string[] {
  return [
    ...new Set(lost.filter((key) => suspects.has(workerKeyId(key))).map((k) => k.guildId)),
  ];
}

/**
 * The exit reason of each worker lost with its process. `isolated`: the
 * process held one guild only (a suspect moved apart), so its death is that
 * guild's whether or not a worker was reported silent first.
 *
 * @example
 * ```ts
 * const a = { guildId: "1", deploymentId: "a" }, b = { guildId: "2", deploymentId: "b" };
 * blameProcessExit([a, b], new Set(["1:a"]), "sandbox process 0 exited with code 70");
 * // a: "abort" (… while this script was not responding), b: "process"
 * ```
 */
export function blameProcessExit(
  lost: WorkerKey[],
  suspects: ReadonlySet<string>,
  detail: string,
  isolated = false,
): LostWorker[] {
  if (isolated) {
    return lost.map((key) => ({
      key,
      reason: "abort",
      detail: `${detail} while this script ran alone in it (moved apart after an earlier ` +
        "unexplained crash)",
    }));
  }
  const guilds = suspectGuildIds(lost, suspects);
  if (guilds.length === 1) {
    return lost.map((key) =>
      key.guildId === guilds[0]
        ? { key, reason: "abort", detail: `${detail} while this script was not responding` }
        : { key, reason: "process", detail }
    );
  }
  const note = guilds.length > 1
    ? `; ${guilds.length} scripts had stopped responding, so no one is blamed and each ` +
      "now runs in a process of its own"
    : "";
  return lost.map((key) => ({ key, reason: "process", detail: detail + note }));
}

/**
 * The guilds to move to processes of their own after a process death that
 * {@linkcode blameProcessExit} could not attribute (several guilds silent):
 * empty when it blamed one guild or nobody was silent.
 *
 * @example
 * ```ts
 * const a = { guildId: "1", deploymentId: "a" }, b = { guildId: "2", deploymentId: "b" };
 * unresolvedSuspects([a, b], new Set(["1:a", "2:b"])); // ["1", "2"]
 * ```
 */
export function unresolvedSuspects(lost: WorkerKey[], suspects: ReadonlySet<string>): string[] {
  const guilds = suspectGuildIds(lost, suspects);
  return guilds.length > 1 ? guilds : [];
}
