/**
 * Keeps several flora hosts on the same deployments: a host that activates a
 * deployment publishes it (Redis pub/sub, or PostgreSQL LISTEN/NOTIFY), and
 * every other host switches the guild to it at once instead of at restart.
 *
 * @module
 */

import type {
  Deployment,
  DeploymentChange,
  DeploymentEvents,
  DeploymentStore,
  Subscription,
} from "../../storage/types.ts";
import type { LogSink } from "./logs.ts";
import type { SandboxManager } from "./sandboxes.ts";
import { errorMessage } from "../../shared/error_message.ts";

/** Publishes local activations and applies remote ones. */
export class DeploymentSync {
  #subscription: Subscription | null = null;

  constructor(
    readonly store: DeploymentStore,
    readonly sandboxes: SandboxManager,
    readonly events: DeploymentEvents,
    readonly logs: LogSink,
  ) {}

  /** Starts listening; resolves once changes published from now on will arrive. */
  async start(): Promise<void> {
    this.#subscription = await this.events.subscribe((change) => {
      this.#apply(change).catch((error) => {
        this.logs.append(
          change.guildId,
          "error",
          `flora: could not switch to deployment ${change.deploymentId} from another host: ${
            errorMessage(error)
          }`,
        );
      });
    });
  }

  /** Tells other hosts a deployment is live. Failures are logged, never thrown: the deploy stands. */
  publish(deployment: Deployment): void {
    this.events.publish({
      guildId: deployment.guildId,
      deploymentId: deployment.id,
      status: "active",
    }).catch((error) => {
      this.logs.append(
        deployment.guildId,
        "warn",
        `flora: other hosts were not told of deployment ${deployment.id}: ${errorMessage(error)}`,
      );
    });
  }

  async #apply(change: DeploymentChange): Promise<void> {
    if (change.status !== "active") return;
    // Our own publication, or one we already applied.
    if (this.sandboxes.activeDeployment(change.guildId)?.id === change.deploymentId) return;
    const deployment = await this.store.get(change.deploymentId);
    if (!deployment || deployment.guildId !== change.guildId || deployment.status !== "active") {
      return; // superseded again meanwhile, or not ours to trust
    }
    await this.adopt(deployment);
  }

  /**
   * Serves an active deployment another host made live (or one finished after
   * an interrupted deploy): a running guild loads it now, others on their next event.
   */
  async adopt(deployment: Deployment): Promise<void> {
    if (this.sandboxes.residentGuilds().includes(deployment.guildId)) {
      await this.sandboxes.load(deployment);
      this.sandboxes.activate(deployment);
    } else {
      this.sandboxes.register(deployment);
    }
  }

  /** Stops listening. */
  async close(): Promise<void> {
    await this.#subscription?.close();
    this.#subscription = null;
  }
}
