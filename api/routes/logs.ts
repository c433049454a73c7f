/**
 * `/logs/:guild`: a guild's recent log lines, and a live stream over
 * Server-Sent Events that resumes after the last event id a client saw
 * (`Last-Event-ID`, which browsers' EventSource sends on reconnect).
 *
 * @module
 */

import { streamSSE } from "hono/streaming";
import { z } from "zod";
import type { LogLevel, LogRecord } from "../../storage/types.ts";
import { ApiError } from "../errors.ts";
import { type ApiRouter, snowflake } from "../routing.ts";

/** Reads a guild's logs and follows new ones (the runtime's StoredGuildLogs). */
export interface LogFeed {
  recent(guildId: string, limit?: number): Promise<LogRecord[]>;
  since(guildId: string, id: string, limit?: number): Promise<LogRecord[]>;
  subscribe(guildId: string, listener: (record: LogRecord) => void): () => void;
}

const LEVELS: LogLevel[] = ["debug", "info", "warn", "error"];
const atLeast = (level: LogLevel | undefined) => (r: LogRecord) =>
  level === undefined || LEVELS.indexOf(r.level) >= LEVELS.indexOf(level);

const logId = z.string().regex(/^\d{1,16}$/, "must be a log id from a previous response");
const limit = z.string().regex(/^\d+$/, "must be a whole number from 1 to 1000").transform(Number)
  .pipe(z.number().int().min(1, "must be at least 1").max(1000, "must be at most 1000"));

/** How often an idle stream sends a comment, so proxies keep it open. */
const KEEPALIVE_MS = 15_000;

/** Registers the log routes. */
export function registerLogRoutes(api: ApiRouter, feed: LogFeed, shutdown?: AbortSignal): void {
  api.route({
    method: "get",
    path: "/logs/:guild",
    tag: "logs",
    auth: "user",
    summary: "Recent log lines, oldest first",
    params: z.object({ guild: snowflake }),
    query: z.object({
      limit: limit.optional().describe("how many (1-1000, default 100)"),
      level: z.enum(LEVELS).optional().describe("only this level and above"),
      since: logId.optional().describe("only lines after this id"),
    }),
    responses: { 200: "the lines" },
  }, async (c, { params, query }) => {
    const records = query.since
      ? await feed.since(params.guild, query.since, query.limit ?? 100)
      : await feed.recent(params.guild, query.limit ?? 100);
    return c.json({ logs: records.filter(atLeast(query.level)) });
  });

  api.route({
    method: "get",
    path: "/logs/:guild/stream",
    tag: "logs",
    auth: "user",
    summary: "Live log stream (Server-Sent Events)",
    description:
      "Each event is `event: log`, `id: <log id>`, `data: <LogRecord JSON>`. Reconnect with " +
      "`Last-Event-ID` (or `?since=`) to receive what you missed; `?tail=n` first sends the last n lines.",
    params: z.object({ guild: snowflake }),
    query: z.object({
      since: logId.optional().describe("resume after this id (like Last-Event-ID)"),
      tail: limit.optional().describe("first send the last n lines"),
      level: z.enum(LEVELS).optional().describe("only this level and above"),
    }),
    responses: { 200: "text/event-stream" },
  }, (c, { params, query }) => {
    const header = c.req.header("last-event-id");
    if (header !== undefined && !logId.safeParse(header).success) {
      throw new ApiError(
        400,
        "invalid_last_event_id",
        "Last-Event-ID must be a log id from this stream",
      );
    }
    const resumeAfter = header ?? query.since;
    const keep = atLeast(query.level);
    const guild = params.guild;
    return streamSSE(c, async (stream) => {
      const queue: LogRecord[] = [];
      let wake: (() => void) | undefined;
      let closed = false;
      const unsubscribe = feed.subscribe(guild, (record) => {
        queue.push(record);
        wake?.();
      });
      const end = () => {
        closed = true;
        wake?.();
      };
      stream.onAbort(end);
      if (shutdown?.aborted) closed = true;
      shutdown?.addEventListener("abort", end, { once: true });
      try {
        let last = resumeAfter;
        const send = async (record: LogRecord) => {
          if (last !== undefined && record.id <= last) return;
          last = record.id;
          if (!keep(record)) return;
          await stream.writeSSE({ event: "log", id: record.id, data: JSON.stringify(record) });
        };
        const backlog = resumeAfter !== undefined
          ? await feed.since(guild, resumeAfter, 1000)
          : query.tail
          ? await feed.recent(guild, query.tail)
          : [];
        // Lines stored between subscribing and reading the backlog arrive twice; `send` skips them.
        for (const record of backlog) await send(record);
        await stream.write(": connected\n\n");
        while (!closed) {
          while (queue.length > 0 && !closed) await send(queue.shift()!);
          if (closed) break;
          const idle = new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => resolve(true), KEEPALIVE_MS);
            wake = () => {
              clearTimeout(timer);
              resolve(false);
            };
          });
          if (await idle && !closed) await stream.write(": keepalive\n\n");
          wake = undefined;
        }
      } finally {
        shutdown?.removeEventListener("abort", end);
        unsubscribe();
      }
    });
  });
}
