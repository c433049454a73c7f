/**
 * Keeps flora inside Discord's 3-second window for acknowledging an
 * interaction. Each delivered interaction gets a timer; if the script has
 * not answered when it fires (a cold start, a slow handler), the host sends
 * a deferred response itself and later turns the script's answer into an
 * edit of that deferred reply. When a guild cannot run an interaction at all
 * (its script failed to load, crashed, or flora is stopping) the user gets an
 * ephemeral error instead of "The application did not respond".
 *
 * In a cluster these answers are the host's own effects of a bus event: each
 * is sent with the interaction's {@linkcode Handover}, so it is fenced like the
 * script's calls (`effect_fencing.ts`) — a node paused past its partition
 * lease does not wake to defer, or answer with an error, an interaction the
 * next owner is answering.
 *
 * @module
 */

import type { OperationName } from "../sandbox/protocol/mod.ts";
import type { Handover } from "./guild_queue.ts";
import { EffectFenced } from "../../shared/effect_fence.ts";
import { DiscordRefusal, refusalOf } from "./operations/discord_request.ts";

/** Discord's interaction types that matter here. */
const MESSAGE_COMPONENT = 3;
/** Response types: 4 message, 5 deferred message, 6 deferred update, 7 update, 9 modal. */
const DEFERRED_MESSAGE = 5;
const DEFERRED_UPDATE = 6;
const EPHEMERAL = 64;
/** Discord's "Interaction has already been acknowledged." */
const ALREADY_ACKNOWLEDGED = 40060;
/** Tokens last 15 minutes; forget interactions after that. */
const TOKEN_TTL_MS = 15 * 60 * 1000;

/** Carries out a Discord operation for a guild (the host's operation executor). */
export type Execute = (guildId: string, op: OperationName, args: unknown) => Promise<unknown>;

/** Carries out the host's own answer to an interaction, fenced by its bus event's handover. */
export type HostExecute = (
  guildId: string,
  op: OperationName,
  args: unknown,
  handover: Handover | undefined,
) => Promise<unknown>;

interface Tracked {
  guildId: string;
  /** 5 for commands and modal submits, 6 for component clicks (keeps the message as is). */
  deferType: 5 | 6;
  /** waiting: nobody answered; answered: the script did; deferred/failed: the host did. */
  state: "waiting" | "answered" | "deferred" | "failed";
  /** The handler finished (so a timer firing now means the script will never answer). */
  handled: boolean;
  timer?: ReturnType<typeof setTimeout>;
  /** The host's own acknowledgement in flight; script answers wait for it. */
  hostAck?: Promise<void>;
  receivedAt: number;
  /** The interaction's bus event's tie to its partition (cluster only): fences the host's answers. */
  handover?: Handover;
}

/** What the tracker reports (for metrics). */
export interface AckEvents {
  deferred?(): void;
  failed?(): void;
}

/**
 * Tracks interactions until they are answered; see the module doc.
 *
 * @example
 * ```ts
 * const acks = new InteractionAcks(execute, 2_000);
 * acks.track(guildId, interactionPayload, handover); // when delivered
 * await acks.run(guildId, op, args, execute);         // every script operation passes through
 * ```
 */
export class InteractionAcks {
  #tracked = new Map<string, Tracked>();

  constructor(
    readonly execute: HostExecute,
    /** How long the script gets to answer before the host defers, ms. */
    readonly ackMs = 2_000,
    readonly events: AckEvents = {},
  ) {}

  /** Interactions not yet answered by anyone. */
  get waiting(): number {
    let n = 0;
    for (const t of this.#tracked.values()) if (t.state === "waiting") n++;
    return n;
  }

  /** Starts the clock for an interaction delivered to a guild (with its bus event's handover). */
  track(guildId: string, payload: unknown, handover?: Handover): void {
    const p = payload as { id?: unknown; type?: unknown };
    if (typeof p?.id !== "string") return;
    this.#prune();
    const id = p.id;
    const tracked: Tracked = {
      guildId,
      deferType: p.type === MESSAGE_COMPONENT ? DEFERRED_UPDATE : DEFERRED_MESSAGE,
      state: "waiting",
      handled: false,
      receivedAt: Date.now(),
      handover,
    };
    tracked.timer = setTimeout(() => this.#expire(id, tracked), this.ackMs);
    this.#tracked.set(id, tracked);
  }

  /** The script's handler for this interaction finished. */
  handled(interactionId: string): void {
    const tracked = this.#tracked.get(interactionId);
    if (!tracked) return;
    tracked.handled = true;
    if (tracked.state === "answered" || tracked.state === "failed") {
      this.#tracked.delete(interactionId);
    }
  }

  #expire(id: string, tracked: Tracked): void {
    tracked.timer = undefined;
    if (tracked.state !== "waiting") return;
    if (tracked.handled) {
      this.fail(id, "The bot's script finished without answering this interaction.");
      return;
    }
    tracked.state = "deferred";
    this.events.deferred?.();
    tracked.hostAck = this.execute(tracked.guildId, "interaction.respond", {
      interactionId: id,
      type: tracked.deferType,
    }, tracked.handover).then(() => {}, (error) => {
      // Refused unsent (this node lost the event's partition): nothing was acknowledged.
      if (error instanceof EffectFenced && tracked.state === "deferred") tracked.state = "waiting";
    });
  }

  /**
   * Answers an interaction nobody answered with an ephemeral error (or, if
   * the host already deferred it, edits the deferred reply to say so).
   * Never rejects: a failure to tell the user is dropped here, once.
   */
  fail(interactionId: string, message: string): Promise<void> {
    const tracked = this.#tracked.get(interactionId);
    if (!tracked || tracked.state === "answered" || tracked.state === "failed") {
      return Promise.resolve();
    }
    clearTimeout(tracked.timer);
    const wasDeferred = tracked.state === "deferred";
    tracked.state = "failed";
    this.events.failed?.();
    const data = { content: `⚠️ ${message}`, flags: EPHEMERAL };
    const send = wasDeferred
      ? (tracked.hostAck ?? Promise.resolve()).then(() =>
        this.execute(
          tracked.guildId,
          tracked.deferType === DEFERRED_MESSAGE ? "interaction.editReply" : "interaction.followUp",
          { interactionId, data },
          tracked.handover,
        )
      )
      : this.execute(
        tracked.guildId,
        "interaction.respond",
        { interactionId, type: 4, data },
        tracked.handover,
      );
    return send.then(() => {}, () => {});
  }

  /** Fails every unanswered interaction (e.g. at shutdown). */
  async failAll(message: string): Promise<void> {
    const ids = [...this.#tracked].filter(([, t]) =>
      t.state === "waiting" || (t.state === "deferred" && !t.handled)
    ).map(([id]) => id);
    await Promise.all(ids.map((id) => this.fail(id, message)));
  }

  /**
   * Runs a script's operation, adjusted for what the host already did: an
   * initial response after the host deferred becomes an edit (or follow-up)
   * of the deferred reply.
   */
  async run(guildId: string, op: OperationName, args: unknown, execute: Execute): Promise<unknown> {
    const interactionId = (args as { interactionId?: unknown }).interactionId;
    const tracked = typeof interactionId === "string"
      ? this.#tracked.get(interactionId)
      : undefined;
    if (!tracked || tracked.guildId !== guildId) return await execute(guildId, op, args);
    if (op !== "interaction.respond") {
      await tracked.hostAck;
      return await execute(guildId, op, args);
    }
    const a = args as { interactionId: string; type: number; data?: Record<string, unknown> };
    if (tracked.state === "waiting") {
      tracked.state = "answered";
      clearTimeout(tracked.timer);
      try {
        return await execute(guildId, op, args);
      } catch (error) {
        // Acknowledged by an earlier run of this event elsewhere (the previous owner's host
        // deferred it, and a host's deferral is not journaled): answer as if this host had.
        const refusal = error instanceof DiscordRefusal ? error : refusalOf(error);
        if (refusal?.code !== ALREADY_ACKNOWLEDGED) throw error;
        return await this.#afterDeferral(guildId, tracked, a, execute);
      }
    }
    if (tracked.state === "failed") {
      throw new Error("this interaction was already answered with an error by flora");
    }
    if (tracked.state === "answered") return await execute(guildId, op, args); // Discord decides
    // The host deferred: turn the script's initial response into the matching follow-up step.
    await tracked.hostAck;
    tracked.state = "answered";
    return await this.#afterDeferral(guildId, tracked, a, execute);
  }

  /** A script's initial response to a deferred interaction, as the matching follow-up step. */
  async #afterDeferral(
    guildId: string,
    tracked: Tracked,
    a: { interactionId: string; type: number; data?: Record<string, unknown> },
    execute: Execute,
  ): Promise<unknown> {
    switch (a.type) {
      case DEFERRED_MESSAGE:
      case DEFERRED_UPDATE:
        return null; // already deferred
      case 4:
        return await execute(
          guildId,
          tracked.deferType === DEFERRED_MESSAGE ? "interaction.editReply" : "interaction.followUp",
          { interactionId: a.interactionId, data: a.data ?? {} },
        );
      case 7:
        return await execute(guildId, "interaction.editReply", {
          interactionId: a.interactionId,
          data: a.data ?? {},
        });
      default:
        throw new Error(
          `flora acknowledged this interaction after ${this.ackMs} ms without an answer; ` +
            "a modal can no longer be opened for it",
        );
    }
  }

  #prune(): void {
    const cutoff = Date.now() - TOKEN_TTL_MS;
    for (const [id, t] of this.#tracked) {
      if (t.receivedAt >= cutoff) break;
      clearTimeout(t.timer);
      this.#tracked.delete(id);
    }
  }

  /** Stops every timer (at shutdown, after {@linkcode failAll}). */
  close(): void {
    for (const t of this.#tracked.values()) clearTimeout(t.timer);
    this.#tracked.clear();
  }
}
