/**
 * The gateway protocol, frame by frame: HELLO/IDENTIFY/READY, heartbeats,
 * close codes, RESUME with replay, INVALID_SESSION, sharding and the
 * identify rate limit.
 */

import { startEmulator } from "./mod.ts";
import { EmulatorClient } from "./client.ts";
import { identify, RawGateway, withRawGateway } from "./raw_gateway_test_client.ts";
import { assert, assertEquals } from "./test_helpers.ts";

// Tests identify again within seconds; Discord's 5 s identify spacing is off (gateway_test checks it).
const FAST = { heartbeatIntervalMs: 1100, identifyIntervalMs: 0 };

Deno.test("HELLO carries heartbeat_interval; heartbeats are ACKed", async () => {
  await withRawGateway(FAST, async ({ gw }) => {
    const hello = await gw.next((f) => f.op === 10);
    assertEquals(hello.d, { heartbeat_interval: 1100 });
    gw.send({ op: 1, d: null });
    const ack = await gw.next((f) => f.op === 11);
    assertEquals(ack.s, null);
  });
});

Deno.test("close codes: 4004 bad token, 4003 before identify, 4001 unknown op, 4002 bad JSON", async () => {
  const emu = await startEmulator(FAST);
  try {
    const cases: [string, (gw: RawGateway) => void, number][] = [
      ["bad token", (gw) => gw.send(identify("Bot nope")), 4004],
      ["not authenticated", (gw) => gw.send({ op: 3, d: {} }), 4003],
      ["unknown opcode", (gw) => gw.send({ op: 42, d: null }), 4001],
      ["decode error", (gw) => gw.sendRaw("{not json"), 4002],
      ["invalid shard", (gw) => gw.send(identify(emu.token, { shard: [2, 2] })), 4010],
      ["invalid intents", (gw) => gw.send(identify(emu.token, { intents: 1 << 30 })), 4013],
    ];
    for (const [label, act, code] of cases) {
      const gw = await RawGateway.connect(emu.gatewayUrl);
      await gw.next((f) => f.op === 10);
      act(gw);
      const closed = await gw.closed;
      assertEquals(closed.code, code, label);
    }
    const twice = await RawGateway.connect(emu.gatewayUrl);
    twice.send(identify(emu.token));
    await twice.dispatch("READY");
    twice.send(identify(emu.token));
    assertEquals((await twice.closed).code, 4005);
    const oldVersion = await RawGateway.connect(emu.gatewayUrl, "?v=6&encoding=json");
    assertEquals((await oldVersion.closed).code, 4012);
  } finally {
    await emu.close();
  }
});

Deno.test("privileged intents the application lacks close with 4014", async () => {
  await withRawGateway({ ...FAST, applicationFlags: 0 }, async ({ emu, gw }) => {
    gw.send(identify(emu.token, { intents: 1 << 15 }));
    assertEquals((await gw.closed).code, 4014);
  });
});

Deno.test("RESUME replays missed dispatches, then RESUMED", async () => {
  const emu = await startEmulator(FAST);
  const control = new EmulatorClient(emu.url);
  const { guilds, users } = emu.seeded!;
  const first = await RawGateway.connect(emu.gatewayUrl);
  let second: RawGateway | undefined;
  try {
    first.send(identify(emu.token));
    const ready = await first.dispatch("READY");
    const sessionId = (ready.d as { session_id: string }).session_id;
    await first.next((f) => f.t === "GUILD_CREATE" && (f.d as { id: string }).id === guilds[1].id);
    const seq = first.seq!;
    // Close with a non-1000 code: the session stays resumable.
    await first.close(4000);
    const missed = await control.sendMessage({
      guildId: guilds[0].id,
      channelId: guilds[0].channels.general,
      userId: users.member,
      content: "while you were away",
    });
    second = await RawGateway.connect(emu.gatewayUrl);
    second.send({ op: 6, d: { token: `Bot ${emu.token}`, session_id: sessionId, seq } });
    const replayed = await second.dispatch("MESSAGE_CREATE");
    assertEquals((replayed.d as { id: string }).id, missed.id);
    assertEquals(replayed.s, seq + 1);
    const resumed = await second.dispatch("RESUMED");
    assertEquals(resumed.s, seq + 2);
    assert(!second.frames.some((f) => f.t === "READY"));
  } finally {
    await first.close();
    await second?.close();
    await emu.close();
  }
});

Deno.test("RESUME of an unknown session gets INVALID_SESSION false", async () => {
  await withRawGateway(FAST, async ({ emu, gw }) => {
    gw.send({ op: 6, d: { token: emu.token, session_id: "nope", seq: 1 } });
    const invalid = await gw.next((f) => f.op === 9);
    assertEquals(invalid.d, false);
  });
});

Deno.test("a session closed with 1000 cannot be resumed", async () => {
  const emu = await startEmulator(FAST);
  const first = await RawGateway.connect(emu.gatewayUrl);
  const second = await RawGateway.connect(emu.gatewayUrl);
  try {
    first.send(identify(emu.token));
    const ready = await first.dispatch("READY");
    await first.close(1000);
    const d = ready.d as { session_id: string };
    second.send({ op: 6, d: { token: emu.token, session_id: d.session_id, seq: 1 } });
    assertEquals((await second.next((f) => f.op === 9)).d, false);
  } finally {
    await first.close();
    await second.close();
    await emu.close();
  }
});

Deno.test("sharding: each shard gets only its guilds; shard = (id >> 22) % count", async () => {
  const emu = await startEmulator({ ...FAST, shards: 2 });
  const control = new EmulatorClient(emu.url);
  // Add guilds until both shards have at least one.
  const shardOf = (id: string) => Number((BigInt(id) >> 22n) % 2n);
  let guildIds = emu.seeded!.guilds.map((g) => g.id);
  while (new Set(guildIds.map(shardOf)).size < 2) {
    const g = await control.createGuild({ name: `extra ${guildIds.length}` });
    guildIds = [...guildIds, g.id];
  }
  const shards = await Promise.all([0, 1].map(() => RawGateway.connect(emu.gatewayUrl)));
  try {
    for (const [i, gw] of shards.entries()) {
      gw.send(identify(emu.token, { shard: [i, 2] }));
      const ready = await gw.dispatch("READY");
      const d = ready.d as { shard: [number, number]; guilds: { id: string }[] };
      assertEquals(d.shard, [i, 2]);
      assertEquals(
        d.guilds.map((g) => g.id).sort(),
        guildIds.filter((id) => shardOf(id) === i).sort(),
      );
    }
  } finally {
    await Promise.all(shards.map((s) => s.close()));
    await emu.close();
  }
});

Deno.test("identify rate limit: on by default, a second IDENTIFY within 5 s gets INVALID_SESSION", async () => {
  const emu = await startEmulator({ heartbeatIntervalMs: 1100 });
  const a = await RawGateway.connect(emu.gatewayUrl);
  const b = await RawGateway.connect(emu.gatewayUrl);
  try {
    a.send(identify(emu.token));
    await a.dispatch("READY");
    b.send(identify(emu.token));
    assertEquals((await b.next((f) => f.op === 9)).d, false);
    const info = await fetch(`${emu.restBase}/v10/gateway/bot`, {
      headers: { authorization: `Bot ${emu.token}` },
    }).then((r) => r.json());
    assertEquals(info.session_start_limit.remaining, 999);
    assertEquals(info.session_start_limit.max_concurrency, 1);
  } finally {
    await a.close();
    await b.close();
    await emu.close();
  }
});

Deno.test("zombie connections (no heartbeats) are closed with 4009", async () => {
  await withRawGateway({ heartbeatIntervalMs: 50 }, async ({ emu, gw }) => {
    gw.send(identify(emu.token));
    assertEquals((await gw.closed).code, 4009);
  });
});

Deno.test("fault injection: RECONNECT (op 7) and INVALID_SESSION on demand", async () => {
  const emu = await startEmulator(FAST);
  const control = new EmulatorClient(emu.url);
  const gw = await RawGateway.connect(emu.gatewayUrl);
  try {
    gw.send(identify(emu.token));
    await gw.dispatch("READY");
    assertEquals(await control.gatewayFault({ kind: "reconnect" }), 1);
    await gw.next((f) => f.op === 7);
    assertEquals(await control.gatewayFault({ kind: "invalid_session", resumable: true }), 1);
    assertEquals((await gw.next((f) => f.op === 9)).d, true);
    assertEquals(await control.gatewayFault({ kind: "close", code: 4000 }), 1);
    assertEquals((await gw.closed).code, 4000);
  } finally {
    await gw.close();
    await emu.close();
  }
});

Deno.test("REQUEST_GUILD_MEMBERS answers with GUILD_MEMBERS_CHUNK", async () => {
  await withRawGateway(FAST, async ({ emu, gw }) => {
    gw.send(identify(emu.token, { intents: 1 | 2 }));
    await gw.dispatch("READY");
    const guild = emu.seeded!.guilds[0];
    gw.send({ op: 8, d: { guild_id: guild.id, query: "", limit: 0, nonce: "n1" } });
    const chunk = await gw.dispatch("GUILD_MEMBERS_CHUNK");
    const d = chunk.d as { members: unknown[]; nonce: string; chunk_count: number };
    assertEquals(d.members.length, 3);
    assertEquals(d.nonce, "n1");
    assertEquals(d.chunk_count, 1);
  });
});

Deno.test("frames over 4096 bytes close the connection with 4002", async () => {
  await withRawGateway(FAST, async ({ gw }) => {
    gw.send({ op: 1, d: "x".repeat(5000) });
    assertEquals((await gw.closed).code, 4002);
  });
});

Deno.test("GUILD_CREATE lists every member only with GUILD_PRESENCES", async () => {
  await withRawGateway(FAST, async ({ emu, gw }) => {
    gw.send(identify(emu.token, { intents: 1 | (1 << 8) }));
    const created = await gw.dispatch("GUILD_CREATE");
    assertEquals((created.d as { members: unknown[] }).members.length, 3);
  });
});

Deno.test("RESUME with a sequence the session never reached closes with 4007", async () => {
  const emu = await startEmulator(FAST);
  const first = await RawGateway.connect(emu.gatewayUrl);
  const second = await RawGateway.connect(emu.gatewayUrl);
  try {
    first.send(identify(emu.token));
    const ready = await first.dispatch("READY");
    await first.close(4000);
    const d = ready.d as { session_id: string };
    second.send({ op: 6, d: { token: emu.token, session_id: d.session_id, seq: 10_000 } });
    assertEquals((await second.closed).code, 4007);
  } finally {
    await first.close();
    await second.close();
    await emu.close();
  }
});

Deno.test("a gateway-closed session is disconnected at once; a RESUME racing the close is ignored", async () => {
  const emu = await startEmulator(FAST);
  const control = new EmulatorClient(emu.url);
  const { guilds, users } = emu.seeded!;
  const first = await RawGateway.connect(emu.gatewayUrl);
  let second: RawGateway | undefined;
  let third: RawGateway | undefined;
  try {
    first.send(identify(emu.token));
    const ready = await first.dispatch("READY");
    const sessionId = (ready.d as { session_id: string }).session_id;
    await first.next((f) => f.t === "GUILD_CREATE" && (f.d as { id: string }).id === guilds[1].id);
    const seq = first.seq!;
    // From the gateway's close frame on, the session is disconnected, even though the
    // client has not answered the closing handshake yet; the closing socket is not
    // dropped a second time.
    assertEquals(emu.gateway.dropConnections(4000), 1);
    assertEquals(emu.gateway.sessions.get(sessionId)?.connection, null);
    assertEquals(emu.gateway.dropConnections(4000), 0);
    assertEquals((await control.sessions()).map((s) => s.connected), [false]);
    const missed = await control.sendMessage({
      guildId: guilds[0].id,
      channelId: guilds[0].channels.general,
      userId: users.member,
      content: "while you were away",
    });

    // The client reconnects and sends RESUME, but the gateway closes that socket before
    // reading it: the RESUME is not acted on and the session stays disconnected.
    second = await RawGateway.connect(emu.gatewayUrl);
    await second.next((f) => f.op === 10);
    second.send({ op: 6, d: { token: `Bot ${emu.token}`, session_id: sessionId, seq } });
    assertEquals(emu.gateway.dropConnections(4000), 1);
    assertEquals((await second.closed).code, 4000);
    assert(!emu.gateway.events.some((e) => e.kind === "resume"));
    assertEquals((await control.sessions()).map((s) => s.connected), [false]);

    // Resuming again from the last seq the client processed replays what it missed, once.
    third = await RawGateway.connect(emu.gatewayUrl);
    third.send({ op: 6, d: { token: `Bot ${emu.token}`, session_id: sessionId, seq } });
    const replayed = await third.dispatch("MESSAGE_CREATE");
    assertEquals((replayed.d as { id: string }).id, missed.id);
    assertEquals(replayed.s, seq + 1);
    await third.dispatch("RESUMED");
    assertEquals(third.frames.filter((f) => f.t === "MESSAGE_CREATE").length, 1);
    assertEquals(
      (await control.sessions()).map((s) => ({ id: s.id, connected: s.connected })),
      [{ id: sessionId, connected: true }],
    );
  } finally {
    await first.close();
    await second?.close();
    await third?.close();
    await emu.close();
  }
});
