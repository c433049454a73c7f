/**
 * Control routes for benchmarks, under `/_emulator/bench`: post many user
 * messages in one request (per-message HTTP would cap the event rate far
 * below what a bot can take), and measure reply latency inside the
 * emulator — from a tracked message being dispatched to the bot's reply
 * (a message referencing it) arriving over REST, on one clock.
 *
 * @module
 */

import { Hono } from "hono";
import type { ActionLog } from "./actions.ts";
import { isRecord } from "./body.ts";
import { DiscordError, invalidField } from "./errors.ts";
import { postMessage } from "./messaging.ts";
import type { EmulatorState } from "./state.ts";

/** One message to post as a user. */
export interface BenchMessage {
  guildId: string;
  channelId: string;
  userId: string;
  content: string;
}

/** Request body of `POST /_emulator/bench/messages`. */
export interface BenchMessagesInput {
  messages: BenchMessage[];
  /** Record when each was dispatched, to time the bot's reply to it. */
  track?: boolean;
}

/** Answer of `POST /_emulator/bench/messages`. */
export interface BenchPosted {
  posted: number;
  /** The posted messages' ids, in the order given (tests count the replies to each). */
  ids: string[];
}

/** Answer of `GET /_emulator/bench/replies`. */
export interface BenchReplies {
  /** Reply latencies in ms, in the order replies arrived. */
  latenciesMs: number[];
  /** Tracked messages not answered yet. */
  pending: number;
}

const MAX_BATCH = 10_000;

/** Builds the bench app (mount at `/_emulator/bench`). */
export function createBenchApp(ctx: { state: EmulatorState; actions: ActionLog }): Hono {
  const { state, actions } = ctx;
  const app = new Hono();
  /** message id → performance.now() when it was dispatched. */
  const tracked = new Map<string, number>();
  let latencies: number[] = [];
  let watching = false;
  let seen = actions.lastSeq;
  app.onError((error, c) => {
    if (error instanceof DiscordError) return c.json(error.body as object, error.status as 400);
    return c.json({ message: String(error), code: 0 }, 500);
  });

  /** Follows the action log while messages are tracked; stamps replies as they land. */
  async function watch(): Promise<void> {
    if (watching) return;
    watching = true;
    try {
      while (tracked.size > 0) {
        await actions.wait(seen, 1_000);
        const now = performance.now();
        for (const action of actions.list({ since: seen })) {
          seen = action.seq;
          if (action.route !== "POST /channels/:id/messages" || action.status >= 300) continue;
          const ref = (action.body as { message_reference?: { message_id?: unknown } } | null)
            ?.message_reference?.message_id;
          const start = typeof ref === "string" ? tracked.get(ref) : undefined;
          if (start === undefined) continue;
          tracked.delete(ref as string);
          latencies.push(now - start);
        }
      }
    } finally {
      watching = false;
    }
  }

  app.post("/messages", async (c) => {
    const input = await c.req.json().catch(() => null) as BenchMessagesInput | null;
    if (!isRecord(input) || !Array.isArray(input.messages)) {
      throw invalidField(["messages"], "BASE_TYPE_REQUIRED", "messages must be an array");
    }
    if (input.messages.length > MAX_BATCH) {
      throw invalidField(["messages"], "BASE_TYPE_MAX_LENGTH", `at most ${MAX_BATCH} per request`);
    }
    if (tracked.size === 0) seen = actions.lastSeq;
    const ids: string[] = [];
    for (const m of input.messages) {
      const record = postMessage(state, m.channelId, state.user(m.userId), { content: m.content });
      ids.push(record.message.id);
      if (input.track) tracked.set(record.message.id, performance.now());
    }
    if (input.track) watch();
    const body: BenchPosted = { posted: input.messages.length, ids };
    return c.json(body);
  });

  app.get("/replies", (c) => {
    const body: BenchReplies = { latenciesMs: latencies, pending: tracked.size };
    return c.json(body);
  });

  app.post("/reset", (c) => {
    tracked.clear();
    latencies = [];
    seen = actions.lastSeq;
    return c.json({ ok: true });
  });

  return app;
}
