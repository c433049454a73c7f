/**
 * Fixtures shared by the host's tests: a deployment record as storage
 * returns it, and a MESSAGE_CREATE payload in Discord's shape.
 *
 * @module
 */

import type { Deployment, DeploymentStatus } from "../../storage/types.ts";
import type { OperationName } from "../sandbox/protocol/mod.ts";
import { type PoolOptions, SandboxPool } from "../sandbox/pool.ts";
import { bundleWorkerRuntime } from "../sandbox/worker_bundle.ts";
import { MemoryLogBuffer } from "./logs.ts";
import type { ManagerHooks } from "./manager_hooks.ts";
import { type OperationExecutor, SandboxManager, type SchedulingOptions } from "./sandboxes.ts";

/**
 * A deployment of `code` for `guildId`.
 *
 * @example
 * ```ts
 * const d = testDeployment("100000000000000001", "d1", `on("messageCreate", () => {});`);
 * ```
 */
export function testDeployment(
  guildId: string,
  id: string,
  code: string,
  status: DeploymentStatus = "active",
): Deployment {
  const now = new Date().toISOString();
  return {
    id,
    guildId,
    revision: 1,
    status,
    createdBy: "test",
    createdAt: now,
    updatedAt: now,
    bundle: { entry: "main.ts", code },
  };
}

/** A message `content` by a member in one of `guildId`'s channels. */
export function messagePayload(guildId: string, content: string) {
  return {
    id: "700000000000000001",
    channel_id: "200000000000000001",
    guild_id: guildId,
    author: { id: "300000000000000001", username: "alice" },
    content,
    timestamp: new Date().toISOString(),
  };
}

/** A slash command `/name` used by a member in one of `guildId`'s channels (interaction `id`). */
export function slashPayload(guildId: string, id: string, name: string) {
  return {
    id,
    type: 2,
    token: "tok",
    guild_id: guildId,
    channel_id: "200000000000000001",
    member: { user: { id: "300000000000000001", username: "alice" } },
    data: { id: "1", name, type: 1 },
  };
}

/** An executor that records the content of every message a script sends, and succeeds. */
export class ReplyRecorder implements OperationExecutor {
  contents: string[] = [];
  execute(_guildId: string, _op: string, args: unknown): Promise<unknown> {
    this.contents.push(String((args as { data?: { content?: unknown } }).data?.content));
    return Promise.resolve({ id: "555" });
  }
}

/**
 * Waits until `check()` holds, polling every 10 ms; throws naming `what` after `timeoutMs`.
 *
 * @example
 * ```ts
 * await until("the answer", () => recorder.contents.length === 1);
 * ```
 */
export async function until(what: string, check: () => boolean, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** One operation a script asked the host for. */
export interface Call {
  guildId: string;
  op: OperationName;
  args: Record<string, unknown>;
}

/** Records operations and answers like Discord would. */
export class RecordingExecutor implements OperationExecutor {
  calls: Call[] = [];
  #waiters: (() => void)[] = [];
  execute(guildId: string, op: OperationName, args: unknown): Promise<unknown> {
    this.calls.push({ guildId, op, args: args as Record<string, unknown> });
    for (const wake of this.#waiters.splice(0)) wake();
    return Promise.resolve(op === "interaction.respond" ? null : { id: "555" });
  }
  async waitFor(predicate: (calls: Call[]) => boolean): Promise<void> {
    while (!predicate(this.calls)) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }
  /** The content of each message or reply asked for, in order. */
  contents(): string[] {
    return this.calls.map((c) => String((c.args.data as { content?: unknown })?.content));
  }
}

let runtime: Promise<string> | undefined;

/**
 * Runs `fn` with a sandbox manager on a started one-process pool (real
 * sandbox process and workers), then closes both.
 *
 * @example
 * ```ts
 * await withSandboxes(executor, { pool: { standby: 1 } }, async (manager, pool, logs) => {
 *   manager.register(testDeployment(guildId, "d1", code));
 * });
 * ```
 */
export async function withSandboxes(
  executor: OperationExecutor,
  options: {
    pool?: Partial<PoolOptions>;
    manager?: Partial<SchedulingOptions>;
    hooks?: ManagerHooks;
  },
  fn: (manager: SandboxManager, pool: SandboxPool, logs: MemoryLogBuffer) => Promise<void>,
): Promise<void> {
  const logs = new MemoryLogBuffer();
  const manager = new SandboxManager(executor, logs, options.manager, undefined, options.hooks);
  const pool = new SandboxPool({
    processes: 1,
    heapMb: 128,
    limits: { eventTimeoutMs: 5_000, loadTimeoutMs: 5_000 },
    workerRuntime: await (runtime ??= bundleWorkerRuntime()),
    ...options.pool,
  }, manager);
  manager.attach(pool);
  await pool.start();
  try {
    await fn(manager, pool, logs);
  } finally {
    manager.close();
    await pool.close();
  }
}
