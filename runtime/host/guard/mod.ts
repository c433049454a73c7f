/**
 * The isolation guards around the sandbox manager, built from the
 * configuration in one place so `flora.ts` only plugs them in:
 *
 * - {@linkcode GuildRestBudget}: per-guild Discord REST concurrency and rate,
 *   a second one for outbound `fetch` requests, and a third for storage
 *   calls (KV, sorted sets, tasks), whose cost is the host's own CPU;
 * - {@linkcode RateLimitedLogSink}: per-guild volume of the scripts' log lines;
 * - {@linkcode CrashLoopDetector}: suspends a guild that keeps failing and
 *   records why in its deployment's status;
 * - the watchdog budgets the sandbox processes enforce.
 *
 * @module
 */

import type { DeploymentStore } from "../../../storage/types.ts";
import { CONFIG_DEFAULTS, type FloraConfig } from "../../config_schema.ts";
import type { SandboxLimits } from "../../sandbox/protocol/mod.ts";
import type { LogSink } from "../logs.ts";
import type { OperationExecutor } from "../sandboxes.ts";
import { CrashLoopDetector } from "./crash_loop.ts";
import { RateLimitedLogSink } from "./log_limiter.ts";
import { GuildRestBudget, isStorageOperation } from "./rest_budget.ts";
import { errorMessage } from "../../../shared/error_message.ts";

/** Storage calls (KV, sorted sets, tasks) of one guild the host runs at once. */
export const STORAGE_CONCURRENCY = 8;

/** What the guards wrap or report to. */
export interface GuardInputs {
  operations: OperationExecutor;
  logs: LogSink;
  deployments: DeploymentStore;
  /** Host notices (e.g. a status that could not be stored). */
  notice(level: "warn" | "error", message: string): void;
}

/** The guarded pieces to hand to the sandbox manager and pool. */
export interface Guards {
  operations: OperationExecutor;
  /** Where the script's own log lines go: volume-limited per guild. */
  onScriptLog: LogSink["append"];
  limits: SandboxLimits;
  onWorkerFailure(
    deployment: { id: string; guildId: string },
    reason: string,
    detail: string,
  ): string | null;
}

/** Builds the guards from the configuration. */
export function createGuards(config: FloraConfig, inputs: GuardInputs): Guards {
  const crashLoops = new CrashLoopDetector({
    maxFailures: config.crashLoopFailures ?? CONFIG_DEFAULTS.crashLoopFailures,
    windowMs: config.crashLoopWindowMs ?? CONFIG_DEFAULTS.crashLoopWindowMs,
  });
  const restPerSecond = config.guildRestPerSecond ?? CONFIG_DEFAULTS.guildRestPerSecond;
  const fetchPerSecond = config.fetchPerSecond ?? CONFIG_DEFAULTS.fetchPerSecond;
  const storagePerSecond = config.guildStoragePerSecond ?? CONFIG_DEFAULTS.guildStoragePerSecond;
  const scriptLogs = new RateLimitedLogSink(inputs.logs, {
    lines: config.guildLogLinesPer10s ?? CONFIG_DEFAULTS.guildLogLinesPer10s,
    windowMs: 10_000,
  });
  return {
    operations: new GuildRestBudget(
      new GuildRestBudget(
        new GuildRestBudget(inputs.operations, {
          concurrency: config.guildRestConcurrency ?? CONFIG_DEFAULTS.guildRestConcurrency,
          perSecond: restPerSecond,
          burst: restPerSecond * 2,
          maxWaiting: 50,
        }),
        // Outbound requests: their own per-guild share, so they cannot starve Discord calls.
        {
          concurrency: 4,
          perSecond: fetchPerSecond,
          burst: fetchPerSecond * 2,
          maxWaiting: 20,
        },
        undefined,
        (op) => op === "fetch",
        "outbound requests",
      ),
      // Storage calls cost the host's event loop, which every guild's events cross: a guild
      // runs 8 at once (each turn of the loop serves at most that many of its answers before a
      // neighbour's message), at a bounded rate. The worker keeps at most 32 in flight
      // (sdk/worker_bounds.ts), so a few workers' worth wait here, never more.
      {
        concurrency: STORAGE_CONCURRENCY,
        perSecond: storagePerSecond,
        burst: storagePerSecond * 2,
        maxWaiting: 128,
      },
      undefined,
      isStorageOperation,
      "storage calls",
    ),
    onScriptLog: (guildId, level, message) => scriptLogs.append(guildId, level, message),
    limits: {
      eventTimeoutMs: config.eventTimeoutMs,
      loadTimeoutMs: config.loadTimeoutMs,
      cronTimeoutMs: config.cronTimeoutMs,
      workerHeapMb: config.guildHeapMb,
      processMemoryMb: config.sandboxMemoryMb,
      cpuWindowMs: config.cpuWindowMs,
      maxCpuShare: config.maxCpuShare,
    },
    onWorkerFailure(deployment, reason, _detail) {
      // A process crash that this script did not cause is not its failure.
      if (reason === "process") return null;
      const loop = crashLoops.failure(deployment.guildId, deployment.id);
      if (!loop) return null;
      const why = `suspended after a crash loop: the script was ${loop}`;
      inputs.deployments.setStatus(deployment.id, "suspended", why).catch((error) =>
        inputs.notice(
          "error",
          `could not mark deployment ${deployment.id} suspended: ${errorMessage(error)}`,
        )
      );
      return why;
    },
  };
}
