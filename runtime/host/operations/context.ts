/**
 * What every operation handler receives, and the shape of a handler table.
 *
 * @module
 */

import type { GuildKvStore, GuildSortedStore } from "../../../storage/types.ts";
import type {
  FetchArgs,
  FetchResult,
  OperationArgs,
  OperationName,
} from "../../sandbox/protocol/mod.ts";
import type { InteractionRegistry } from "../interactions.ts";
import type { CpuBursts } from "../guard/cpu_bursts.ts";
import type { TaskScheduler } from "../tasks/scheduler.ts";
import type { DiscordRequest } from "./discord_request.ts";
import type { ReplyNonces } from "./reply_nonces.ts";
import type { GuildScope } from "./scope.ts";

/** The slice of Discordeno's REST manager interaction answers use (token routes). */
export interface InteractionRest {
  sendInteractionResponse(
    interactionId: string,
    token: string,
    body: { type: number; data?: Record<string, unknown> },
  ): Promise<unknown>;
  sendFollowupMessage(token: string, body: Record<string, unknown>): Promise<unknown>;
  editOriginalInteractionResponse(token: string, body: Record<string, unknown>): Promise<unknown>;
  deleteOriginalInteractionResponse(token: string): Promise<unknown>;
}

/** One operation's environment: the asking guild's scope and the services it may use. */
export interface OperationContext {
  guildId: string;
  scope: GuildScope;
  request: DiscordRequest;
  interactionRest: InteractionRest;
  interactions: InteractionRegistry;
  kv: GuildKvStore;
  sorted: GuildSortedStore;
  tasks: GuildTaskService;
  bursts?: Pick<CpuBursts, "grant">;
  /** Outbound requests (`fetch/service.ts`); absent: the host offers none. */
  fetch?: Fetcher;
  /** Nonces that keep a reply from being posted twice when its event is replayed. */
  replyNonces: ReplyNonces;
}

/** The guild services operations use (always with the asking guild's id). */
export interface GuildServices {
  kv: GuildKvStore;
  sorted: GuildSortedStore;
  tasks: GuildTaskService;
  /** CPU bursts from the guild's bucket (`guard/cpu_bursts.ts`); absent: none are granted. */
  bursts?: Pick<CpuBursts, "grant">;
}

/** The guild's durable tasks, as operations use them (the host's task scheduler). */
export type GuildTaskService = Pick<
  TaskScheduler,
  "schedule" | "cancel" | "get" | "list" | "complete"
>;

/** Carries out a script's outbound request for its guild. */
export interface Fetcher {
  fetch(guildId: string, args: FetchArgs): Promise<FetchResult>;
}

/** Handlers for some operations, keyed by operation name. */
export type OperationHandlers<N extends OperationName> = {
  [K in N]: (ctx: OperationContext, args: OperationArgs<K>) => Promise<unknown>;
};
