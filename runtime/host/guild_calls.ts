/**
 * How a guild's Discord, KV and log calls are executed: counted and charged,
 * fenced when made for a cluster's event (a bus event, a cron or task run:
 * the call lands only while this node holds the partition's lease with the
 * same tenure, `effect_fencing.ts`) or by a cluster worker for none
 * (`stray_calls.ts`), and journaled when made by a script for a bus event
 * (`effect_journaling.ts`). One place for the rule, whoever calls:
 * the script, or the host answering an interaction on the script's behalf.
 *
 * @module
 */

import { EffectFenced } from "../../shared/effect_fence.ts";
import type { OperationName } from "../sandbox/protocol/mod.ts";
import { EffectRun } from "./effect_journaling.ts";
import { runFenced } from "./effect_fencing.ts";
import type { EffectTenure, Handover, QueuedEvent } from "./guild_queue.ts";
import type { LogSink } from "./logs.ts";
import type { ManagerHooks, OperationExecutor } from "./manager_hooks.ts";
import type { FloraMetrics } from "./metrics.ts";
import { chargeOperation } from "./usage_charges.ts";

/**
 * Executes guilds' calls through the fence and the journal.
 *
 * @example
 * ```ts
 * const calls = new GuildCalls(operations, logs, metrics, hooks);
 * await calls.script(guildId, "sendMessage", args, queuedEvent); // the script's call
 * await calls.host(guildId, "deferInteraction", args, handover); // the host's own answer
 * ```
 */
export class GuildCalls {
  constructor(
    readonly operations: OperationExecutor,
    readonly logs: LogSink,
    readonly metrics: FloraMetrics,
    readonly hooks: Pick<ManagerHooks, "effects" | "onScriptLog">,
  ) {}

  /**
   * A script's call: fenced when it was made for a cluster's event (a bus event, a cron or
   * task run), or by `stray` when made for none (`stray_calls.ts`), and journaled when for a
   * bus event. A refused call made for no event is logged to the guild: no handler may be
   * there to see it.
   */
  script(
    guildId: string,
    op: OperationName,
    args: unknown,
    origin?: QueuedEvent,
    stray?: EffectTenure,
  ): Promise<unknown> {
    const handover = origin?.handover;
    const result = this.#fenced(
      guildId,
      op,
      args,
      handover ?? origin?.tenure ?? stray,
      (execute) => {
        const effects = this.hooks.effects;
        if (!effects || !handover) return execute(args);
        origin!.effects ??= new EffectRun(guildId, handover.id, handover.mayHaveRun);
        return effects.run(origin!.effects, op, args, execute);
      },
    );
    if (!stray) return result;
    return result.catch((error) => {
      if (error instanceof EffectFenced) {
        // Through the script's log volume limit: a refused `setInterval` would write a line per tick.
        const line = `flora: refused a call made for no event: ${error.name}: ${error.message}`;
        if (this.hooks.onScriptLog) this.hooks.onScriptLog(guildId, "warn", line);
        else this.logs.append(guildId, "warn", line);
      }
      throw error;
    });
  }

  /**
   * The host's own answer to an interaction (its deferral past `interactionAckMs`, or an
   * error answer): fenced by the interaction's bus event like the script's calls, but not
   * journaled (it is none of the script's steps, and whether it happens depends on timing).
   * A refusal is logged to the guild: the interaction is answered by the next owner.
   */
  host(
    guildId: string,
    op: OperationName,
    args: unknown,
    handover: Handover | undefined,
  ): Promise<unknown> {
    return this.#fenced(guildId, op, args, handover, (execute) => execute(args)).catch(
      (error) => {
        if (error instanceof EffectFenced) {
          const id = (args as { interactionId?: unknown }).interactionId;
          this.logs.append(
            guildId,
            "warn",
            `flora: did not send its own answer to interaction ${id}: ${error.message}`,
          );
        }
        throw error;
      },
    );
  }

  /**
   * Runs a call; a bus event's mutating call lands only while this node holds its partition's
   * lease, checked after the journal's read and again where the effect lands
   * (effect_fencing.ts).
   */
  #fenced(
    guildId: string,
    op: OperationName,
    args: unknown,
    tenure: EffectTenure | undefined,
    run: (execute: (args: unknown) => Promise<unknown>) => Promise<unknown>,
  ): Promise<unknown> {
    this.metrics.restCalls.inc(op);
    chargeOperation(this.metrics.usage, guildId, op);
    if (!tenure) return this.operations.execute(guildId, op, args);
    return runFenced(guildId, op, args, tenure, this.#onFenced, (fence) =>
      run((a) => {
        fence?.check();
        return this.operations.execute(guildId, op, a);
      }));
  }

  readonly #onFenced = (op: OperationName) => this.metrics.effectsFenced.inc(op);
}
