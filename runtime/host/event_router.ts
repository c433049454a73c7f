/**
 * Turns gateway dispatches into guild events: keeps the guild directory and
 * interaction registry current, then hands each guild's events to that
 * guild's sandbox only. `READY` names every guild of a shard, so each guild
 * gets its own `ready` carrying nothing but its own id.
 *
 * @module
 */

import type { ScriptEventName } from "../sandbox/protocol/mod.ts";
import type { GuildDirectory } from "./guild_directory.ts";
import type { InteractionRegistry } from "./interactions.ts";

/** A gateway payload as Discord sends it (op 0 dispatches carry `t` and `d`). */
export interface GatewayPayload {
  op: number;
  t?: string | null;
  s?: number | null;
  d?: unknown;
}

/** Where routed events go (the sandbox manager). */
export interface EventSink {
  deliver(guildId: string, name: ScriptEventName, payload: unknown): boolean;
  activeGuilds(): string[];
}

/** Dispatch names delivered to scripts, and the SDK event each becomes. */
const SCRIPT_EVENTS: Record<string, ScriptEventName> = {
  MESSAGE_CREATE: "messageCreate",
  MESSAGE_UPDATE: "messageUpdate",
  MESSAGE_DELETE: "messageDelete",
  MESSAGE_DELETE_BULK: "messageDeleteBulk",
  MESSAGE_REACTION_ADD: "reactionAdd",
  MESSAGE_REACTION_REMOVE: "reactionRemove",
  MESSAGE_REACTION_REMOVE_ALL: "reactionRemoveAll",
  MESSAGE_REACTION_REMOVE_EMOJI: "reactionRemoveEmoji",
  GUILD_MEMBER_ADD: "memberAdd",
  GUILD_MEMBER_UPDATE: "memberUpdate",
  GUILD_MEMBER_REMOVE: "memberRemove",
  GUILD_ROLE_CREATE: "roleCreate",
  GUILD_ROLE_UPDATE: "roleUpdate",
  GUILD_ROLE_DELETE: "roleDelete",
  CHANNEL_CREATE: "channelCreate",
  CHANNEL_UPDATE: "channelUpdate",
  CHANNEL_DELETE: "channelDelete",
  THREAD_CREATE: "threadCreate",
  THREAD_UPDATE: "threadUpdate",
  THREAD_DELETE: "threadDelete",
  GUILD_UPDATE: "guildUpdate",
  INTERACTION_CREATE: "interactionCreate",
};

type Data = Record<string, unknown>;

/** Routes gateway dispatches to guild sandboxes. */
export class EventRouter {
  /** Guild ids each shard reported in READY / GUILD_CREATE. */
  #shardGuilds = new Map<number, Set<string>>();

  constructor(
    readonly sink: EventSink,
    readonly directory: GuildDirectory,
    readonly interactions: InteractionRegistry,
  ) {}

  /** Handles one gateway payload from a shard. */
  route(payload: GatewayPayload, shardId: number): void {
    if (payload.op !== 0 || !payload.t || typeof payload.d !== "object" || payload.d === null) {
      return;
    }
    const d = payload.d as Data;
    switch (payload.t) {
      case "READY":
        this.#ready(d, shardId);
        return;
      case "GUILD_CREATE":
        this.directory.addGuild(d as { id: string });
        this.#guildsOf(shardId).add(String(d.id));
        return;
      case "GUILD_DELETE":
        if (d.unavailable !== true) {
          this.directory.removeGuild(String(d.id));
          this.#guildsOf(shardId).delete(String(d.id));
        }
        return;
      case "CHANNEL_CREATE":
      case "THREAD_CREATE":
        this.directory.addChannel(d as { id: string; guild_id?: string });
        break;
      case "CHANNEL_DELETE":
      case "THREAD_DELETE":
        this.directory.removeChannel(String(d.id));
        break;
      case "INTERACTION_CREATE":
        this.interactions.record(d as { id: string; token: string; guild_id?: string });
        break;
    }
    const name = SCRIPT_EVENTS[payload.t];
    // GUILD_UPDATE is the guild itself: its own id is the guild's.
    const guildId = payload.t === "GUILD_UPDATE" ? d.id : d.guild_id;
    if (name && typeof guildId === "string") this.sink.deliver(guildId, name, d);
  }

  /** Guilds the bot is in, as the gateway reported them (outages included). */
  get guildCount(): number {
    let count = 0;
    for (const guilds of this.#shardGuilds.values()) count += guilds.size;
    return count;
  }

  #guildsOf(shardId: number): Set<string> {
    let guilds = this.#shardGuilds.get(shardId);
    if (!guilds) this.#shardGuilds.set(shardId, guilds = new Set());
    return guilds;
  }

  #ready(d: Data, shardId: number): void {
    const guilds = this.#guildsOf(shardId);
    for (const guild of Array.isArray(d.guilds) ? d.guilds : []) {
      const id = (guild as Data | null)?.id;
      if (typeof id === "string") guilds.add(id);
    }
    for (const guildId of this.sink.activeGuilds()) {
      if (guilds.has(guildId)) this.sink.deliver(guildId, "ready", { guildId });
    }
  }
}
