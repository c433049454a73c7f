/**
 * Keeps the commands Discord has for each guild matching the guild's live
 * deployment. Before each overwrite it records a hash of what it is about to
 * send, so a host that died between the overwrite and the switch is caught at
 * the next start by comparing hashes, without asking Discord about every guild.
 *
 * @module
 */

import type { Deployment, DeploymentStore } from "../../storage/types.ts";
import type { CommandDefinition } from "../sandbox/protocol/mod.ts";
import { commandsFingerprint } from "./command_sync.ts";

/** Registers a guild's application commands with Discord (bulk overwrite, or nothing if equal). */
export type RegisterCommands = (guildId: string, commands: CommandDefinition[]) => Promise<void>;

/** The part of the deployment store this module uses. */
export type RegisteredCommandsStore = Pick<
  DeploymentStore,
  "registeredCommands" | "setRegisteredCommands"
>;

/** How {@linkcode GuildCommands.resync} fits in with deploys running at the same time. */
export interface ResyncOptions {
  /** Reports one guild's failure (the others go on). */
  onError?: (guildId: string, error: unknown) => void;
  /** Whether the deployment is still the guild's live one (checked inside `exclusive`). */
  isLive?: (deployment: Deployment) => boolean;
  /** Runs `fn` while no deploy of the guild runs (the deployer's per-guild lock). */
  exclusive?: (guildId: string, fn: () => Promise<void>) => Promise<void>;
}

/** SHA-256 (hex) of a command list's order-independent fingerprint. */
export async function commandsHash(commands: CommandDefinition[]): Promise<string> {
  const bytes = new TextEncoder().encode(commandsFingerprint(commands));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Registers commands per guild, recording what it sent.
 *
 * @example
 * ```ts
 * const commands = new GuildCommands(storage.deployments, register);
 * await commands.register(guildId, [{ name: "ping", description: "Pong" }]);
 * const repaired = await commands.resync(await storage.deployments.listActive());
 * ```
 */
export class GuildCommands {
  constructor(
    readonly store: RegisteredCommandsStore,
    readonly registerWithDiscord: RegisterCommands,
  ) {}

  /** Records the hash, then overwrites the guild's commands with `commands`. */
  async register(guildId: string, commands: CommandDefinition[]): Promise<void> {
    // Recorded first: if this host dies after Discord took them, the hash already says so.
    await this.store.setRegisteredCommands(guildId, await commandsHash(commands));
    await this.registerWithDiscord(guildId, commands);
  }

  /**
   * Re-registers the commands of each live deployment whose hash differs from
   * the one last recorded for its guild. Deployments that recorded no commands
   * (made before flora kept them) are left alone. Resolves to the guilds it
   * re-registered.
   */
  async resync(deployments: Deployment[], options: ResyncOptions = {}): Promise<string[]> {
    const {
      onError = () => {},
      isLive = () => true,
      exclusive = (_guildId, fn) => fn(),
    } = options;
    const repaired: string[] = [];
    for (const deployment of deployments) {
      if (deployment.status !== "active" || deployment.commands === undefined) continue;
      const commands = deployment.commands as unknown as CommandDefinition[];
      try {
        await exclusive(deployment.guildId, async () => {
          // A deploy that ran meanwhile registered its own commands.
          if (!isLive(deployment)) return;
          if (await this.reconcile(deployment.guildId, commands)) repaired.push(deployment.guildId);
        });
      } catch (error) {
        onError(deployment.guildId, error);
      }
    }
    return repaired;
  }

  /**
   * Registers `commands` for the guild unless their hash is the one last
   * recorded. Resolves true when it registered.
   */
  async reconcile(guildId: string, commands: CommandDefinition[]): Promise<boolean> {
    if (await this.store.registeredCommands(guildId) === await commandsHash(commands)) return false;
    await this.register(guildId, commands);
    return true;
  }
}
