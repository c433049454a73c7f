/**
 * Who is blamed when a sandbox process dies: the one worker it had reported
 * silent just before (a tight loop that exhausted the heap aborts the
 * process), and nobody else. When several were silent, the cause cannot be
 * told apart (a stalled process silences every worker at once), so none is
 * blamed: each restarts as a neighbour would (reason `process`, which counts
 * towards no crash loop).
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

/**
 * The exit reason of each worker lost with its process.
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
): LostWorker[] {
  const blamed = lost.filter((key) => suspects.has(workerKeyId(key)));
  if (blamed.length === 1) {
    const culprit = blamed[0];
    return lost.map((key) =>
      key === culprit
        ? { key, reason: "abort", detail: `${detail} while this script was not responding` }
        : { key, reason: "process", detail }
    );
  }
  const note = blamed.length > 1
    ? `; ${blamed.length} scripts had stopped responding, so no one is blamed`
    : "";
  return lost.map((key) => ({ key, reason: "process", detail: detail + note }));
}
