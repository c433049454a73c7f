/**
 * Conformance with a second, independent client: discord.js's @discordjs/ws
 * and @discordjs/rest connect, identify, receive dispatches and make REST
 * calls exactly as they would against Discord.
 */

import { REST } from "@discordjs/rest";
import { WebSocketManager, WebSocketShardEvents } from "@discordjs/ws";
import { EmulatorClient, startEmulator } from "./mod.ts";
import { specViolations } from "./spec_conformance.ts";
import { assert, assertEquals, assertRejects } from "./test_helpers.ts";

// Tests identify again within seconds; Discord's 5 s identify spacing is off (gateway_test checks it).
const FAST = { heartbeatIntervalMs: 1100, identifyIntervalMs: 0 };

interface Dispatch {
  t: string;
  d: Record<string, unknown>;
}

Deno.test("@discordjs/ws + @discordjs/rest: READY, GUILD_CREATE, MESSAGE_CREATE, send, errors, resume", async () => {
  const emu = await startEmulator(FAST);
  const control = new EmulatorClient(emu.url);
  const rest = new REST({
    api: emu.restBase,
    version: "10",
    hashSweepInterval: 0,
    handlerSweepInterval: 0,
  }).setToken(emu.token);
  const manager = new WebSocketManager({
    token: emu.token,
    intents: 1 | (1 << 9) | (1 << 15),
    rest,
  });
  const dispatches: Dispatch[] = [];
  const waiters: { match: (d: Dispatch) => boolean; resolve: (d: Dispatch) => void }[] = [];
  manager.on(WebSocketShardEvents.Dispatch, (payload) => {
    const dispatch = payload as unknown as Dispatch;
    dispatches.push(dispatch);
    for (const w of [...waiters]) {
      if (w.match(dispatch)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(dispatch);
      }
    }
  });
  const waitFor = (match: (d: Dispatch) => boolean) => {
    const seen = dispatches.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise<Dispatch>((resolve) => waiters.push({ match, resolve }));
  };
  try {
    await manager.connect();
    const { guilds, users } = emu.seeded!;
    const ready = await waitFor((d) => d.t === "READY");
    assertEquals((ready.d.user as { id: string }).id, emu.botUserId);
    for (const g of guilds) {
      const created = await waitFor((d) => d.t === "GUILD_CREATE" && d.d.id === g.id);
      assertEquals(created.d.name, g.name);
    }
    const sent = await control.sendMessage({
      guildId: guilds[0].id,
      channelId: guilds[0].channels.general,
      userId: users.member,
      content: "hello discord.js",
    });
    const created = await waitFor((d) => d.t === "MESSAGE_CREATE" && d.d.id === sent.id);
    assertEquals(created.d.content, "hello discord.js");

    const reply = await rest.post(`/channels/${guilds[0].channels.general}/messages`, {
      body: { content: "hi from discord.js", message_reference: { message_id: sent.id } },
    }) as { id: string; type: number };
    assertEquals(reply.type, 19);
    const me = await rest.get("/users/@me") as { id: string };
    assertEquals(me.id, emu.botUserId);

    const error = await assertRejects(() =>
      rest.post("/channels/123456789012345678/messages", { body: { content: "x" } })
    ) as { code: number; status: number };
    assertEquals(error.status, 404);
    assertEquals(error.code, 10003);
    const action = await control.waitForAction((a) => a.status === 404);
    assert(action.route === "POST /channels/:id/messages");

    // A dropped connection is resumed by discord.js too, and nothing is lost.
    const resumed = new Promise<void>((resolve) =>
      manager.once(WebSocketShardEvents.Resumed, () => resolve())
    );
    assertEquals(await control.gatewayFault({ kind: "close", code: 4000 }), 1);
    const missed = await control.sendMessage({
      guildId: guilds[0].id,
      channelId: guilds[0].channels.general,
      userId: users.member,
      content: "while reconnecting",
    });
    await resumed;
    await waitFor((d) => d.t === "MESSAGE_CREATE" && d.d.id === missed.id);
    assert(emu.gateway.events.some((e) => e.kind === "resume"));
    assertEquals(dispatches.filter((d) => d.t === "READY").length, 1);
    assertEquals(specViolations(emu.actions.list(), dispatches), []);
  } finally {
    await manager.destroy();
    rest.clearHashSweeper();
    rest.clearHandlerSweeper();
    await emu.close();
  }
});
