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
import type { Handover } from "./guild_queue.ts";
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
  /**
   * Takes the event; `settled` is called once it is handled or dropped (never at shutdown),
   * `handover.withdrawn` instead when it is given back unstarted (a cluster's bus event).
   * `frame`: the gateway frame's JSON text the payload was parsed from (its `d`), if known.
   */
  deliver(
    guildId: string,
    name: ScriptEventName,
    payload: unknown,
    settled?: () => void,
    frame?: string,
    handover?: Handover,
  ): boolean;
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

/**
 * Dispatches whose routing needs more of the payload than its guild id: the guild directory
 * and interaction registry read them, or the guild is `d` itself.
 */
const NEEDS_PAYLOAD = new Set([
  "CHANNEL_CREATE",
  "THREAD_CREATE",
  "CHANNEL_DELETE",
  "THREAD_DELETE",
  "INTERACTION_CREATE",
  "GUILD_UPDATE",
]);

type Data = Record<string, unknown>;

/** Routes gateway dispatches to guild sandboxes. */
export class EventRouter {
  /** Guild ids each shard reported in READY / GUILD_CREATE. */
  #shardGuilds = new Map<number, Set<string>>();
  /** Shards whose scripts got `ready` (from READY, or the first RESUMED of a process). */
  #resumedShards = new Set<number>();
  /** The shard Discord sends a guild's events on (set by the host once it knows the shard count). */
  shardOf: (guildId: string) => number = () => 0;

  constructor(
    readonly sink: EventSink,
    readonly directory: GuildDirectory,
    readonly interactions: InteractionRegistry,
  ) {}

  /**
   * Handles one gateway payload from a shard. `settled` is called once the
   * payload is fully handled: at once when no script gets it, else when its
   * guild's script finished with it. `frame` is the payload's JSON text as
   * received, when the gateway has it: it goes to the worker as is. With
   * `handover` (a cluster's bus event), the sandbox may give the event back
   * unstarted and call its `withdrawn` instead of `settled`.
   */
  route(
    payload: GatewayPayload,
    shardId: number,
    settled: () => void = () => {},
    frame?: string,
    handover?: Handover,
  ): void {
    if (payload.op !== 0 || !payload.t || typeof payload.d !== "object" || payload.d === null) {
      settled();
      return;
    }
    if (!this.#route(payload.t, payload.d as Data, shardId, settled, frame, handover)) settled();
  }

  /**
   * Whether a dispatch with this name is routed by its guild id alone (`routeFrame`): a script
   * event whose routing reads nothing else of its payload.
   */
  routesByGuild(t: string): boolean {
    return SCRIPT_EVENTS[t] !== undefined && !NEEDS_PAYLOAD.has(t);
  }

  /**
   * Routes a dispatch that {@linkcode routesByGuild} accepts from its gateway frame alone
   * (`frame_route.ts`): `guildId` is the frame's `d.guild_id`, the frame goes to the worker
   * as is. `settled` as for {@linkcode route}.
   */
  routeFrame(t: string, guildId: string, frame: string, settled: () => void = () => {}): void {
    const name = SCRIPT_EVENTS[t];
    if (
      !name || !this.routesByGuild(t) ||
      !this.sink.deliver(guildId, name, undefined, settled, frame)
    ) {
      settled();
    }
  }

  /** Routes a dispatch; true when a guild's sandbox took it (and will settle it). */
  #route(
    t: string,
    d: Data,
    shardId: number,
    settled: () => void,
    frame?: string,
    handover?: Handover,
  ): boolean {
    switch (t) {
      case "READY":
        this.#ready(d, shardId);
        return false;
      case "RESUMED":
        this.#resumed(shardId);
        return false;
      case "GUILD_CREATE":
        this.directory.addGuild(d as { id: string });
        this.#guildsOf(shardId).add(String(d.id));
        return false;
      case "GUILD_DELETE":
        if (d.unavailable !== true) {
          this.directory.removeGuild(String(d.id));
          this.#guildsOf(shardId).delete(String(d.id));
        }
        return false;
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
    const name = SCRIPT_EVENTS[t];
    // GUILD_UPDATE is the guild itself: its own id is the guild's.
    const guildId = t === "GUILD_UPDATE" ? d.id : d.guild_id;
    return name !== undefined && typeof guildId === "string" &&
      this.sink.deliver(guildId, name, d, settled, frame, handover);
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

  /**
   * A session resumed at start (no READY, no GUILD_CREATE): each deployed
   * guild on the shard still gets its `ready`, as after an identify.
   */
  #resumed(shardId: number): void {
    if (this.#resumedShards.has(shardId)) return;
    this.#resumedShards.add(shardId);
    for (const guildId of this.sink.activeGuilds()) {
      if (this.shardOf(guildId) === shardId) this.sink.deliver(guildId, "ready", { guildId });
    }
  }

  /**
   * The guilds this READY lists get their `ready`. In a cluster each guild's
   * READY comes on its own (`bus_dispatches.ts`), so only the listed guilds,
   * not every guild the shard had, may get one.
   */
  #ready(d: Data, shardId: number): void {
    this.#resumedShards.add(shardId);
    const guilds = this.#guildsOf(shardId);
    const listed = new Set<string>();
    for (const guild of Array.isArray(d.guilds) ? d.guilds : []) {
      const id = (guild as Data | null)?.id;
      if (typeof id === "string") listed.add(id);
    }
    for (const id of listed) guilds.add(id);
    for (const guildId of this.sink.activeGuilds()) {
      if (listed.has(guildId)) this.sink.deliver(guildId, "ready", { guildId });
    }
  }
}
