/**
 * Settling deploys at a host's start: deploys a crash interrupted mid-switch
 * are finished or failed (`InterruptedDeploySweeper`), and Discord gets back
 * each live deployment's commands where its recorded hash differs. Split out
 * of `startFlora`, which owns the order of start and shutdown.
 *
 * @module
 */

import type { Deployment, DeploymentStore } from "../storage/types.ts";
import { type Deployer, describe } from "./host/deployer.ts";
import { InterruptedDeploySweeper } from "./host/deploy_recovery.ts";
import type { DeploymentSync } from "./host/deployment_sync.ts";
import type { GuildCommands } from "./host/guild_commands.ts";
import type { StoredGuildLogs } from "./host/guild_logs.ts";
import type { SandboxManager } from "./host/sandboxes.ts";
import type { StartSteps } from "./start_steps.ts";

/** What settling deploys reads and writes. */
export interface DeployRecoveryParts extends StartSteps {
  deployments: DeploymentStore;
  deployer: Deployer;
  sandboxes: SandboxManager;
  sync: DeploymentSync;
  guildCommands: GuildCommands;
  logs: StoredGuildLogs;
  /** How long a deploy holds its guild, ms (`FLORA_DEPLOY_LEASE_MS`). */
  leaseMs: number;
}

/**
 * Starts the sweeper of interrupted deploys, then re-registers, in the
 * background, the commands of the deployments restored at start.
 *
 * @example
 * ```ts
 * await settleDeploysAtStart(restoredDeployments, { deployments, deployer, ... });
 * ```
 */
export async function settleDeploysAtStart(
  restoredDeployments: Deployment[],
  parts: DeployRecoveryParts,
): Promise<void> {
  const { deployments, deployer, sandboxes, sync, guildCommands, logs, leaseMs, cleanups, notice } =
    parts;
  const resyncCommands = (list: Deployment[]) =>
    guildCommands.resync(list, {
      onError: (guildId, error) =>
        logs.append(
          guildId,
          "warn",
          `flora: could not re-register the live deployment's commands: ${describe(error)}`,
        ),
      isLive: (d) => sandboxes.activeDeployment(d.guildId)?.id === d.id,
      exclusive: (guildId, fn) => deployer.exclusive(guildId, fn),
    });
  const sweeper = new InterruptedDeploySweeper(deployments, leaseMs, {
    finished: async (deployment) => {
      logs.append(
        deployment.guildId,
        "info",
        `flora: deployment r${deployment.revision} (${deployment.id}) was interrupted during ` +
          `its switch; finished by a host start`,
      );
      await sync.adopt(deployment);
      sync.publish(deployment);
      await resyncCommands([deployment]);
    },
    failed: async (deployment) => {
      logs.append(
        deployment.guildId,
        "error",
        `flora: deployment ${deployment.id} failed: ${deployment.error}`,
      );
      // Discord may have the failed one's commands: put back the live deployment's.
      const live = await deployments.current(deployment.guildId);
      if (live !== null) await resyncCommands([live]);
      else {
        await deployer.exclusive(
          deployment.guildId,
          () => guildCommands.reconcile(deployment.guildId, []).then(() => {}),
        );
      }
    },
    error: (error) => notice("warn", `could not settle interrupted deploys: ${describe(error)}`),
  });
  const sweep = await sweeper.start();
  cleanups.push(() => sweeper.close());
  // In the background: Discord calls only for guilds whose recorded hash differs. A guild the
  // sweep switched is checked against its new live deployment (and skipped here); one with a
  // deploy still leased is left to that deploy, or to the sweep once the lease runs out.
  const held = new Set(sweep?.held.map((d) => d.guildId));
  resyncCommands(restoredDeployments.filter((d) => !held.has(d.guildId))).then((guilds) => {
    if (guilds.length > 0) {
      notice("info", `re-registered the commands of ${guilds.length} guild(s) at start`);
    }
  });
}
