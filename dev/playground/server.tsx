/** @jsxImportSource hono/jsx */
/**
 * The playground's HTTP side: the page (server-rendered shell, client
 * bundle), a small JSON API that acts as guild members through the
 * emulator's control API, and the live feed over SSE.
 *
 * @example
 * ```ts
 * const playground = await startPlayground(session, { port: 0 });
 * console.log(`open ${playground.url}`);
 * ```
 *
 * @module
 */

import { Hono } from "hono";
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import { EmulatorClientError } from "../../emulator/client.ts";
import type { DevSession } from "../session.ts";
import { buildClient } from "./client_bundle.ts";
import { FeedHub } from "./feed.ts";
import { STYLES } from "./styles.ts";
import type { PlaygroundWorld } from "./ui/types.ts";
import { errorMessage } from "../../shared/error_message.ts";

/** A running playground server. */
export interface Playground {
  url: string;
  feed: FeedHub;
  close(): Promise<void>;
}

function Page() {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>flora playground</title>
        <style dangerouslySetInnerHTML={{ __html: STYLES }} />
      </head>
      <body>
        <div id="app">
          <p class="booting">Loading the playground…</p>
        </div>
        <script type="module" src="/app.js"></script>
      </body>
    </html>
  );
}

/** Reads a JSON object body, or answers 400 with what was wrong. */
async function body(c: Context): Promise<Record<string, unknown>> {
  try {
    const value = await c.req.json();
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return value;
  } catch { /* answered below */ }
  throw new BadRequest("the body must be a JSON object");
}

class BadRequest extends Error {}

function text(input: Record<string, unknown>, key: string): string {
  const value = input[key];
  if (typeof value !== "string" || value === "") throw new BadRequest(`${key} is required`);
  return value;
}

/** The Discord error message behind a refused control call, for the page to show. */
function describeEmulatorError(error: EmulatorClientError): string {
  const b = error.body as { message?: string; errors?: unknown } | null;
  const detail = b?.errors ? ` ${JSON.stringify(b.errors)}` : "";
  return `${b?.message ?? "refused"}${detail}`;
}

/** Builds the playground app for a session (served by {@linkcode startPlayground}). */
export async function createPlaygroundApp(
  session: DevSession,
  feed: FeedHub,
  /** Ends of the open SSE streams, called at shutdown (a server waits for open streams). */
  streams = new Set<() => void>(),
): Promise<Hono> {
  const client = await buildClient();
  const emu = session.emulator;
  const guildId = session.guild.id;
  const app = new Hono();

  app.onError((error, c) => {
    if (error instanceof BadRequest) return c.json({ error: error.message }, 400);
    if (error instanceof EmulatorClientError) {
      return c.json({ error: describeEmulatorError(error) }, error.status >= 500 ? 502 : 400);
    }
    return c.json({ error: errorMessage(error) }, 500);
  });

  app.get("/", (c) => c.html("<!doctype html>" + (<Page />).toString()));
  app.get("/app.js", (c) => c.body(client, 200, { "content-type": "text/javascript" }));

  app.get("/api/world", async (c) => {
    const world = await emu.world();
    const guild = world.guilds.find((g) => g.id === guildId);
    if (!guild) return c.json({ error: "the dev guild is gone" }, 500);
    const view: PlaygroundWorld = {
      guild: { id: guild.id, name: guild.name },
      entry: session.entry,
      botUser: { id: world.botUser.id, name: world.botUser.username },
      channels: guild.channels.filter((ch) => ch.type === 0 || ch.type === 5).map((ch) => ({
        id: ch.id,
        name: ch.name,
      })),
      roles: guild.roles.map((r) => ({ id: r.id, name: r.name })),
      members: guild.members.filter((m) => !m.bot).map((m) => {
        const user = world.users.find((u) => u.id === m.userId);
        return {
          id: m.userId,
          name: user?.global_name ?? m.username,
          roles: m.roles.map((id) => guild.roles.find((r) => r.id === id)?.name ?? id),
        };
      }),
      commands: guild.commands.filter((cmd) => (cmd.type ?? 1) === 1),
      contextMenus: guild.commands.filter((cmd) => cmd.type === 2 || cmd.type === 3)
        .map((cmd) => ({ id: cmd.id, name: cmd.name, type: cmd.type as 2 | 3 })),
      deploy: session.lastDeploy() ?? null,
    };
    return c.json(view);
  });

  const state = session.flora.emulator!.state;

  // Read in-process so reactions carry `me` for the member the page acts as.
  app.get("/api/channels/:id/messages", (c) => {
    const channel = state.channels.get(c.req.param("id"));
    if (!channel) return c.json({ error: "unknown channel" }, 404);
    const viewer = c.req.query("viewer") || undefined;
    return c.json([...channel.messages.values()].map((m) => state.messageToApi(m, viewer)));
  });

  /** Toggles the member's reaction, as clicking a reaction chip does on Discord. */
  app.post("/api/reactions", async (c) => {
    const input = await body(c);
    const channelId = text(input, "channelId");
    const messageId = text(input, "messageId");
    const userId = text(input, "userId");
    const emoji = text(input, "emoji");
    const record = state.channels.get(channelId)?.messages.get(messageId);
    if (!record) throw new BadRequest("unknown message");
    const reacted = record.reactions.get(emoji)?.users.includes(userId) ?? false;
    const target = { channelId, messageId, userId, emoji };
    if (reacted) await emu.removeReaction(target);
    else await emu.addReaction(target);
    feed.publish({ type: "messages", channelId });
    return c.json({ reacted: !reacted });
  });

  app.get("/api/logs", (c) => c.json(session.recentLogs()));

  app.get("/api/kv", async (c) => {
    const kv = session.flora.guildKv;
    // flora.* stores are the runtime's own (cron state), not the script's.
    const stores = (await kv.stores(guildId)).filter((s) => !s.startsWith("flora."));
    const result = await Promise.all(stores.map(async (store) => ({
      store,
      entries: (await kv.list(guildId, store, { limit: 200 })).entries.map((e) => ({
        key: e.key,
        value: e.value,
      })),
    })));
    return c.json(result);
  });

  app.post("/api/messages", async (c) => {
    const input = await body(c);
    const content = text(input, "content");
    const message = await emu.sendMessage({
      guildId,
      channelId: text(input, "channelId"),
      userId: text(input, "userId"),
      content,
    });
    feed.publish({ type: "messages", channelId: message.channel_id });
    return c.json(message, 201);
  });

  app.post("/api/slash", async (c) => {
    const input = await body(c);
    const options = Array.isArray(input.options) ? input.options : undefined;
    const result = await emu.invokeSlash({
      guildId,
      channelId: text(input, "channelId"),
      userId: text(input, "userId"),
      name: text(input, "name"),
      options: options as never,
    });
    return c.json(result, 201);
  });

  /** Apps → a user or message context-menu command, on its target. */
  app.post("/api/context-menu", async (c) => {
    const input = await body(c);
    const result = await emu.invokeContextMenu({
      guildId,
      channelId: text(input, "channelId"),
      userId: text(input, "userId"),
      commandId: text(input, "commandId"),
      targetId: text(input, "targetId"),
    });
    return c.json(result, 201);
  });

  /** Asks the script for suggestions while an option with `autocomplete` is typed. */
  app.post("/api/autocomplete", async (c) => {
    const input = await body(c);
    const { interactionId } = await emu.invokeAutocomplete({
      guildId,
      channelId: text(input, "channelId"),
      userId: text(input, "userId"),
      name: text(input, "name"),
      options: (Array.isArray(input.options) ? input.options : []) as never,
    });
    // Discord gives the bot 3 s to answer; so does the page.
    for (let waited = 0; waited < 3_000; waited += 25) {
      const view = await emu.interaction(interactionId);
      const callback = view.responses.find((r) => r.kind === "callback");
      if (callback) {
        const data = (callback.body as { data?: { choices?: unknown[] } }).data;
        return c.json({ choices: data?.choices ?? [] });
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return c.json({ error: "the script did not answer the autocomplete within 3 s" }, 504);
  });

  app.post("/api/component", async (c) => {
    const input = await body(c);
    const result = await emu.invokeComponent({
      channelId: text(input, "channelId"),
      messageId: text(input, "messageId"),
      userId: text(input, "userId"),
      customId: text(input, "customId"),
      componentType: typeof input.componentType === "number" ? input.componentType : undefined,
      values: Array.isArray(input.values) ? input.values.map(String) : undefined,
    });
    return c.json(result, 201);
  });

  app.post("/api/modal", async (c) => {
    const input = await body(c);
    const response = await fetch(`${session.flora.emulator!.controlUrl}/interactions/modal`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ interactionId: text(input, "interactionId"), values: input.values }),
    });
    const answer = await response.json();
    if (!response.ok) throw new EmulatorClientError(response.status, answer);
    return c.json(answer, 201);
  });

  app.post("/api/redeploy", async (c) => c.json(await session.deploy()));

  app.get("/api/events", (c) =>
    streamSSE(c, async (stream) => {
      const done = Promise.withResolvers<void>();
      const unsubscribe = feed.subscribe((event) => {
        stream.writeSSE({ data: JSON.stringify(event) }).catch(() => done.resolve());
      });
      const keepAlive = setInterval(() => {
        stream.writeSSE({ event: "ping", data: "" }).catch(() => done.resolve());
      }, 15_000);
      const end = () => done.resolve();
      streams.add(end);
      stream.onAbort(end);
      await stream.writeSSE({ event: "hello", data: "{}" });
      await done.promise;
      streams.delete(end);
      clearInterval(keepAlive);
      unsubscribe();
    }));

  return app;
}

/** Serves the playground for `session` on 127.0.0.1. */
export async function startPlayground(
  session: DevSession,
  options: { port?: number; hostname?: string } = {},
): Promise<Playground> {
  const feed = new FeedHub();
  const emulator = session.flora.emulator!;
  feed.followActions(emulator.actions, emulator.state);
  const unsubscribers = [
    session.onDeploy((result) => {
      feed.publish({ type: "deploy", result });
      feed.publish({ type: "commands" });
    }),
    session.onLog((line) => feed.publish({ type: "log", line })),
  ];
  const streams = new Set<() => void>();
  const app = await createPlaygroundApp(session, feed, streams);
  const hostname = options.hostname ?? "127.0.0.1";
  const listening = Promise.withResolvers<Deno.NetAddr>();
  const server = Deno.serve({
    hostname,
    port: options.port ?? 0,
    onListen: (addr) => listening.resolve(addr as Deno.NetAddr),
  }, app.fetch);
  const addr = await listening.promise;
  return {
    url: `http://${hostname}:${addr.port}`,
    feed,
    async close() {
      for (const unsubscribe of unsubscribers) unsubscribe();
      for (const end of streams) end();
      feed.close();
      await server.shutdown();
    },
  };
}
