/**
 * Guild sandboxes as the host sees them: which deployment serves each guild,
 * loading a new one beside the old, delivering events in order, answering
 * the calls a worker makes, and restarting a worker that dies.
 *
 * @module
 */

import type { Deployment } from "../../storage/types.ts";
import type { SandboxPool } from "../sandbox/pool.ts";
import {
  type CommandDefinition,
  type OperationName,
  parseOperationArgs,
  parseWorkerMessage,
  PROTOCOL_VERSION,
  type ScriptEventName,
  type WorkerExitReason,
  type WorkerKey,
  type WorkerToHost,
} from "../sandbox/protocol.ts";
import type { LogSink } from "./logs.ts";

/** Executes a validated operation for a guild; throws a readable error when refused. */
export interface OperationExecutor {
  execute(guildId: string, op: OperationName, args: unknown): Promise<unknown>;
}

/** Why a load failed, as the author should read it. */
export class ScriptLoadError extends Error {
  override name = "ScriptLoadError";
}

interface Loading {
  resolve(commands: CommandDefinition[]): void;
  reject(error: Error): void;
}

/** One worker running one deployment of one guild. */
class GuildSandbox {
  nextEventId = 1;
  loading: Loading | null = null;
  constructor(readonly key: WorkerKey, readonly deployment: Deployment) {}
}

function keyId(key: WorkerKey): string {
  return `${key.guildId}:${key.deploymentId}`;
}

/** Routes events to guild sandboxes and serves what their workers ask. */
export class SandboxManager {
  /** Every live sandbox, including one being loaded beside the active one. */
  #sandboxes = new Map<string, GuildSandbox>();
  /** guild id → the sandbox serving its events. */
  #active = new Map<string, GuildSandbox>();
  #pool: SandboxPool | null = null;

  constructor(readonly operations: OperationExecutor, readonly logs: LogSink) {}

  /** Attaches the pool (created with this manager as its listener). */
  attach(pool: SandboxPool): void {
    this.#pool = pool;
  }

  get #p(): SandboxPool {
    if (!this.#pool) throw new Error("sandbox manager has no pool");
    return this.#pool;
  }

  /** Guilds with an active deployment. */
  activeGuilds(): string[] {
    return [...this.#active.keys()];
  }

  /** The deployment currently serving a guild. */
  activeDeployment(guildId: string): Deployment | undefined {
    return this.#active.get(guildId)?.deployment;
  }

  /**
   * Loads a deployment in a new worker, beside any active one. Resolves with
   * the commands the script declared, or rejects with {@linkcode ScriptLoadError}.
   * The new worker serves nothing until {@linkcode activate}.
   */
  load(deployment: Deployment): Promise<CommandDefinition[]> {
    const key = { guildId: deployment.guildId, deploymentId: deployment.id };
    const sandbox = new GuildSandbox(key, deployment);
    this.#sandboxes.set(keyId(key), sandbox);
    const loaded = new Promise<CommandDefinition[]>((resolve, reject) => {
      sandbox.loading = { resolve, reject };
    });
    this.#p.spawn(key, {
      v: PROTOCOL_VERSION,
      type: "load",
      guildId: deployment.guildId,
      deploymentId: deployment.id,
      entry: deployment.bundle.entry,
      code: deployment.bundle.code,
      sourceMap: deployment.bundle.sourceMap,
    }).catch((error) => this.#failLoad(sandbox, `could not start the sandbox: ${error}`));
    return loaded;
  }

  /** Makes a loaded deployment serve its guild; stops the one it replaces. */
  activate(deployment: Deployment): void {
    const sandbox = this.#sandboxes.get(
      keyId({ guildId: deployment.guildId, deploymentId: deployment.id }),
    );
    if (!sandbox) throw new Error(`deployment ${deployment.id} is not loaded`);
    const previous = this.#active.get(deployment.guildId);
    this.#active.set(deployment.guildId, sandbox);
    if (previous && previous !== sandbox) this.#stop(previous);
  }

  /** Stops a loaded sandbox that will not be activated (e.g. failed checks after load). */
  discard(deployment: Deployment): void {
    const sandbox = this.#sandboxes.get(
      keyId({ guildId: deployment.guildId, deploymentId: deployment.id }),
    );
    if (sandbox && this.#active.get(deployment.guildId) !== sandbox) this.#stop(sandbox);
  }

  #stop(sandbox: GuildSandbox): void {
    this.#sandboxes.delete(keyId(sandbox.key));
    this.#p.terminate(sandbox.key).catch(() => {});
  }

  /** Delivers an event to the guild's active sandbox; false when the guild has none. */
  deliver(guildId: string, name: ScriptEventName, payload: unknown): boolean {
    const sandbox = this.#active.get(guildId);
    if (!sandbox) return false;
    const id = sandbox.nextEventId++;
    this.#p.send(sandbox.key, { v: PROTOCOL_VERSION, type: "event", id, name, payload })
      .catch(() => {});
    return true;
  }

  /** Handles something a worker posted. Never throws: workers are untrusted. */
  workerMessage(key: WorkerKey, raw: unknown): void {
    const sandbox = this.#sandboxes.get(keyId(key));
    if (!sandbox) return; // a worker we already stopped
    const parsed = parseWorkerMessage(raw);
    if (!parsed.ok) {
      this.logs.append(
        key.guildId,
        "error",
        `flora: rejected a malformed message from the script: ${parsed.error}`,
      );
      return;
    }
    this.#handle(sandbox, parsed.message);
  }

  #handle(sandbox: GuildSandbox, message: WorkerToHost): void {
    switch (message.type) {
      case "loaded":
        sandbox.loading?.resolve(message.commands);
        sandbox.loading = null;
        return;
      case "loadFailed":
        this.#failLoad(sandbox, message.error);
        return;
      case "log":
        this.logs.append(sandbox.key.guildId, message.level, message.message);
        return;
      case "done":
        return;
      case "call":
        this.#call(sandbox, message.callId, message.op, message.args);
        return;
    }
  }

  #failLoad(sandbox: GuildSandbox, error: string): void {
    if (!sandbox.loading) return;
    sandbox.loading.reject(new ScriptLoadError(error));
    sandbox.loading = null;
    if (this.#active.get(sandbox.key.guildId) !== sandbox) this.#stop(sandbox);
  }

  async #call(
    sandbox: GuildSandbox,
    callId: number,
    op: OperationName,
    args: unknown,
  ): Promise<void> {
    const guildId = sandbox.key.guildId; // from the process's tag, never from the worker
    let result: { ok: true; value: unknown } | { ok: false; error: string };
    const parsed = parseOperationArgs(op, args);
    if (!parsed.ok) {
      result = { ok: false, error: parsed.error };
    } else {
      try {
        result = { ok: true, value: await this.operations.execute(guildId, op, parsed.args) };
      } catch (error) {
        result = { ok: false, error: error instanceof Error ? error.message : String(error) };
      }
    }
    if (!this.#sandboxes.has(keyId(sandbox.key))) return;
    await this.#p.send(sandbox.key, { v: PROTOCOL_VERSION, type: "result", callId, ...result })
      .catch(() => {});
  }

  /** A worker was stopped or died: fail its load, or restart it if it was serving. */
  workerExit(key: WorkerKey, reason: WorkerExitReason | "process", detail: string): void {
    const sandbox = this.#sandboxes.get(keyId(key));
    if (!sandbox) return;
    if (sandbox.loading) {
      this.#sandboxes.delete(keyId(key));
      this.#failLoad(sandbox, detail);
      return;
    }
    this.logs.append(
      key.guildId,
      "error",
      `flora: the script was stopped (${reason}): ${detail}; restarting it`,
    );
    if (this.#active.get(key.guildId) !== sandbox) {
      this.#sandboxes.delete(keyId(key));
      return;
    }
    this.#restart(sandbox);
  }

  #restart(sandbox: GuildSandbox): void {
    this.#sandboxes.delete(keyId(sandbox.key));
    this.#active.delete(sandbox.key.guildId);
    this.load(sandbox.deployment).then(() => {
      // Only take over if nothing newer was activated meanwhile.
      if (!this.#active.has(sandbox.key.guildId)) this.activate(sandbox.deployment);
    }).catch((error) => {
      this.logs.append(sandbox.key.guildId, "error", `flora: restart failed: ${error.message}`);
    });
  }
}
