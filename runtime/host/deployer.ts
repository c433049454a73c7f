/**
 * Deploying a script to a guild: store it, load it in a new sandbox beside
 * the running one, register its commands with Discord, then switch. Any
 * failure leaves the previous deployment serving.
 *
 * While it works the deployer renews a lease on the pending deployment; once
 * the script loaded it records the commands before sending them to Discord.
 * So a host that dies mid-deploy leaves enough behind for the next one to
 * finish the switch or fail the deployment (`deploy_recovery.ts`).
 *
 * @module
 */

import type { Deployment, DeploymentStore, JsonValue, NewDeployment } from "../../storage/types.ts";
import type { CommandDefinition } from "../sandbox/protocol/mod.ts";
import type { RegisterCommands } from "./guild_commands.ts";
import type { LogSink } from "./logs.ts";
import { type SandboxManager, ScriptLoadError } from "./sandboxes.ts";
import { errorMessage } from "../../shared/error_message.ts";

/** How long a deploying host's lease on its pending deployment lasts, ms. @default 30_000 */
export const DEFAULT_DEPLOY_LEASE_MS = 30_000;

/** Deploys scripts and restores deployments at start. */
export class Deployer {
  /** Called once a deployment is live here (e.g. to tell other hosts). */
  onActivated?: (deployment: Deployment) => void;
  /** Serialises deploys per guild, so two uploads cannot race each other. */
  #guildLocks = new Map<string, Promise<unknown>>();
  /** The deployment each guild is loading now (before it is activated or fails). */
  #loading = new Map<string, Deployment>();

  constructor(
    readonly store: DeploymentStore,
    readonly sandboxes: SandboxManager,
    readonly registerCommands: RegisterCommands,
    readonly logs: LogSink,
    readonly leaseMs: number = DEFAULT_DEPLOY_LEASE_MS,
  ) {}

  /**
   * Stores and rolls out a deployment. Resolves with its final state:
   * `active`, or `failed` with the reason (the previous one keeps running).
   */
  deploy(input: NewDeployment): Promise<Deployment> {
    return this.exclusive(input.guildId, () => this.#deploy(input));
  }

  /** Runs `fn` when no deploy of the guild runs, and holds off its next deploy until done. */
  exclusive<T>(guildId: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#guildLocks.get(guildId) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(fn);
    this.#guildLocks.set(guildId, next);
    next.finally(() => {
      if (this.#guildLocks.get(guildId) === next) this.#guildLocks.delete(guildId);
    }).catch(() => {});
    return next;
  }

  /**
   * The deployment a guild is loading and has not switched to yet. Its
   * script already runs (top level, then until activation), so whatever
   * applies per deployment (e.g. its fetch hosts) must be found for it too.
   */
  loading(guildId: string): Deployment | undefined {
    return this.#loading.get(guildId);
  }

  /**
   * Redeploys a stored revision's bundle as a new deployment (so history
   * stays append-only). Resolves to null when the guild has no such revision.
   */
  async rollback(
    guildId: string,
    target: { revision: number } | { id: string },
    createdBy: string,
  ): Promise<Deployment | null> {
    let source: Deployment | null | undefined;
    if ("id" in target) {
      source = await this.store.get(target.id);
      if (source?.guildId !== guildId) source = null;
    } else {
      const history = await this.store.list(guildId, { limit: 1000 });
      source = history.find((d) => d.revision === target.revision);
    }
    if (!source) return null;
    return await this.deploy({
      guildId,
      createdBy,
      bundle: source.bundle,
      ...(source.fetchHosts ? { fetchHosts: source.fetchHosts } : {}),
    });
  }

  async #deploy(input: NewDeployment): Promise<Deployment> {
    const deployment = await this.store.create(input);
    this.#loading.set(deployment.guildId, deployment);
    const lease = this.#holdLease(deployment);
    try {
      return await this.#rollOut(deployment, lease);
    } finally {
      lease.release();
      if (this.#loading.get(deployment.guildId) === deployment) {
        this.#loading.delete(deployment.guildId);
      }
    }
  }

  /** Renews the deployment's lease every third of its length until released. */
  #holdLease(deployment: Deployment): Lease {
    const renew = (commands?: CommandDefinition[]) =>
      this.store.recordProgress(deployment.id, {
        leaseUntil: new Date(Date.now() + this.leaseMs),
        ...(commands === undefined ? {} : { commands: commands as unknown as JsonValue[] }),
      });
    const timer = setInterval(() => {
      renew().catch((error) =>
        this.logs.append(
          deployment.guildId,
          "warn",
          `flora: could not renew the lease of deployment ${deployment.id}: ${describe(error)}`,
        )
      );
    }, Math.max(100, Math.floor(this.leaseMs / 3)));
    renew().catch(() => {}); // the timer retries; a store that is down fails the deploy anyway
    return { record: (commands) => renew(commands), release: () => clearInterval(timer) };
  }

  async #rollOut(deployment: Deployment, lease: Lease): Promise<Deployment> {
    let commands: CommandDefinition[];
    try {
      commands = await this.sandboxes.load(deployment).catch((error) => {
        // Another guild's script crashed the sandbox process mid-load: the pool has restarted
        // it, and this script deserves a load of its own before it is called broken.
        if (error instanceof ScriptLoadError && error.neighbourCrash) {
          return this.sandboxes.load(deployment);
        }
        throw error;
      });
    } catch (error) {
      const reason = error instanceof ScriptLoadError
        ? `the script failed to load: ${error.message}`
        : `the script could not be started: ${errorMessage(error)}`;
      return this.#fail(deployment, reason);
    }
    // From here a host that dies leaves the switch for the next one to finish.
    let recorded: boolean;
    try {
      recorded = await lease.record(commands);
    } catch (error) {
      this.sandboxes.discard(deployment);
      return this.#fail(deployment, `its commands could not be recorded: ${describe(error)}`);
    }
    if (!recorded) {
      // Another host took it for interrupted and settled it; its decision stands.
      this.sandboxes.discard(deployment);
      return await this.store.get(deployment.id) ?? deployment;
    }
    try {
      await this.registerCommands(deployment.guildId, commands);
    } catch (error) {
      this.sandboxes.discard(deployment);
      return this.#fail(deployment, `Discord refused the commands: ${describe(error)}`);
    }
    this.sandboxes.activate(deployment);
    const active = await this.store.setStatus(deployment.id, "active");
    this.onActivated?.(active);
    this.logs.append(
      deployment.guildId,
      "info",
      `flora: deployment r${active.revision} (${active.id}) is live`,
    );
    return active;
  }

  async #fail(deployment: Deployment, reason: string): Promise<Deployment> {
    this.logs.append(
      deployment.guildId,
      "error",
      `flora: deployment ${deployment.id} failed: ${reason}`,
    );
    return await this.store.setStatus(deployment.id, "failed", reason);
  }

  /**
   * Registers every guild's active deployment (at host start) without
   * starting workers: each guild's worker starts on its first event.
   * Returns the deployments it registered.
   */
  async restore(): Promise<Deployment[]> {
    const deployments = await this.store.listActive();
    for (const deployment of deployments) this.sandboxes.register(deployment);
    return deployments;
  }
}

/** A deploying host's hold on its pending deployment. */
interface Lease {
  /** Renews the lease and records the commands; false once another host settled the deployment. */
  record(commands: CommandDefinition[]): Promise<boolean>;
  release(): void;
}

/** A readable description of a thrown value (Discordeno throws plain objects). */
export function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === "object" && error !== null) {
    try {
      return JSON.stringify(error);
    } catch { /* fall through */ }
  }
  return String(error);
}
