/**
 * Carries out the operations scripts ask for, after checking each against
 * the asking guild (the guild comes from the sandbox's identity, never from
 * the script). The handlers live per resource in `operations/`.
 *
 * @module
 */

import type { OperationArgs, OperationName } from "../sandbox/protocol/mod.ts";
import type { GuildDirectory } from "./guild_directory.ts";
import type { InteractionRegistry } from "./interactions.ts";
import type {
  Fetcher,
  GuildServices,
  InteractionRest,
  OperationContext,
  OperationHandlers,
} from "./operations/context.ts";
import { type DiscordRequest, discordRequest, type RawRest } from "./operations/discord_request.ts";
import { fetchOperations } from "./operations/fetch_ops.ts";
import { guildOperations } from "./operations/guild_ops.ts";
import { interactionOperations } from "./operations/interaction_ops.ts";
import { kvOperations } from "./operations/kv_ops.ts";
import { kvTransactionOperations } from "./operations/kv_transaction_ops.ts";
import { messageOperations } from "./operations/message_ops.ts";
import { sortedOperations } from "./operations/sorted_ops.ts";
import { taskOperations } from "./operations/task_ops.ts";
import { cpuOperations } from "./operations/cpu_ops.ts";
import { GuildScope } from "./operations/scope.ts";
import { ReplyNonces, withReplyNonce } from "./operations/reply_nonces.ts";
import { requestingGuild } from "./rest_metrics.ts";
import type { OperationExecutor } from "./sandboxes.ts";

/** The slice of Discordeno's REST manager the operations use. */
export type DiscordRest = InteractionRest & RawRest;

/** Every operation's handler; the type makes a missing one a compile error. */
const HANDLERS: OperationHandlers<OperationName> = {
  ...interactionOperations,
  ...messageOperations,
  ...guildOperations,
  ...kvOperations,
  ...kvTransactionOperations,
  ...sortedOperations,
  ...taskOperations,
  ...cpuOperations,
  ...fetchOperations,
};

/** Executes operations against Discord and storage for a guild. */
export class DiscordOperations implements OperationExecutor {
  readonly request: DiscordRequest;

  constructor(
    readonly rest: DiscordRest,
    readonly directory: GuildDirectory,
    readonly interactions: InteractionRegistry,
    readonly stores: GuildServices,
    readonly fetcher?: Fetcher,
  ) {
    this.request = discordRequest(rest);
  }

  readonly #replyNonces = new ReplyNonces();

  /**
   * A call answered from the effect journal instead of executed: a reply counts as sent, so
   * the run's next reply to the same message gets the nonce it got the first time.
   */
  replayed(op: OperationName, args: unknown): void {
    if (op !== "message.send") return;
    withReplyNonce((args as OperationArgs<"message.send">).data, this.#replyNonces);
  }

  execute<N extends OperationName>(
    guildId: string,
    op: N,
    args: OperationArgs<N>,
  ): Promise<unknown> {
    const ctx: OperationContext = {
      guildId,
      scope: new GuildScope(guildId, this.directory, this.request),
      request: this.request,
      interactionRest: this.rest,
      interactions: this.interactions,
      kv: this.stores.kv,
      sorted: this.stores.sorted,
      tasks: this.stores.tasks,
      bursts: this.stores.bursts,
      fetch: this.fetcher,
      replyNonces: this.#replyNonces,
    };
    const handler = HANDLERS[op] as (c: OperationContext, a: OperationArgs<N>) => Promise<unknown>;
    // Discord requests made for this operation are charged to the guild (its 429s, usage).
    return requestingGuild.run(guildId, () => handler(ctx, args));
  }
}
