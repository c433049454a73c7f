import assert from "node:assert/strict";
import { EmulatorClient } from "../../emulator/client.ts";
import { startEmulator } from "../../emulator/mod.ts";
import { createGateway, stopGateway } from "./gateway.ts";
import { shardsConnected } from "./shards_connected.ts";
import type { GatewayPayload } from "./event_router.ts";

type Emulator = Awaited<ReturnType<typeof startEmulator>>;

/** Sends `rounds` messages to each of the two seeded guilds in turn: their ids and guilds. */
async function sendToBoth(
  emu: Emulator,
  rounds: number,
  content: (guildId: string, otherId: string, i: number) => string,
): Promise<{ id: string; guildId: string }[]> {
  const client = new EmulatorClient(emu.url);
  const [a, b] = emu.seeded!.guilds;
  const sent = [];
  for (let i = 0; i < rounds; i++) {
    for (const [guild, other] of [[a, b], [b, a]]) {
      const message = await client.sendMessage({
        guildId: guild.id,
        channelId: guild.channels.general,
        userId: emu.seeded!.users.member,
        content: content(guild.id, other.id, i),
      });
      sent.push({ id: message.id, guildId: guild.id });
    }
  }
  return sent;
}

/** Waits until `done` says so, 10 s at most. */
async function until(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

Deno.test("each payload comes with its own gateway frame's text, in both guilds", async () => {
  const emu = await startEmulator({ port: 0, heartbeatIntervalMs: 1_100, identifyIntervalMs: 0 });
  const seen: { payload: GatewayPayload; frame?: string }[] = [];
  const bot = createGateway({
    token: emu.token,
    restBase: emu.restBase,
    spawnShardDelay: 0,
    onPayload: (payload, _shard, _session, frame) => seen.push({ payload, frame }),
  });
  try {
    await bot.start();
    const sent = await sendToBoth(
      emu,
      10,
      (guildId, _other, i) => `hello ${i} "quoted" \\ ${guildId}`,
    );
    const created = () => seen.filter((s) => s.payload.t === "MESSAGE_CREATE");
    await until(() => created().length >= sent.length);
    assert.equal(created().length, sent.length);
    for (const { payload, frame } of seen) {
      assert.ok(frame !== undefined, `no frame for ${payload.t}`);
      // The frame is exactly what was parsed into this payload: same dispatch, same data.
      assert.deepEqual(JSON.parse(frame), payload);
    }
    assert.deepEqual(
      created().map((s) => (s.payload.d as { id: string }).id),
      sent.map((m) => m.id),
    );
  } finally {
    await stopGateway(bot, Promise.resolve()); // its start was awaited
    await emu.close();
  }
});

Deno.test("dispatches offered by frame skip the parse, in order, and keep the shard's sequence", async () => {
  const emu = await startEmulator({ port: 0, heartbeatIntervalMs: 1_100, identifyIntervalMs: 0 });
  const order: { via: "frame" | "payload"; t: string; s: number; guildId?: string }[] = [];
  const bot = createGateway({
    token: emu.token,
    restBase: emu.restBase,
    spawnShardDelay: 0,
    onPayload: (payload) => order.push({ via: "payload", t: payload.t ?? "", s: payload.s ?? -1 }),
    // Only messages are taken; every other dispatch is parsed as before.
    onFrame: (route, _shard, frame) => {
      if (route.t !== "MESSAGE_CREATE") return false;
      assert.equal((JSON.parse(frame) as { d: { guild_id: string } }).d.guild_id, route.guildId);
      order.push({ via: "frame", ...route });
      return true;
    },
  });
  try {
    await bot.start();
    // Each message holds the text of a key naming the other guild: routed by its own.
    const sent = await sendToBoth(emu, 5, (_id, other, i) => `"guild_id":"${other}" {[ ${i}`);
    const taken = () => order.filter((o) => o.via === "frame");
    await until(() => taken().length >= sent.length);
    assert.deepEqual(taken().map((o) => o.guildId), sent.map((m) => m.guildId));
    assert.ok(order.some((o) => o.via === "payload" && o.t === "READY"));
    assert.ok(!order.some((o) => o.via === "payload" && o.t === "MESSAGE_CREATE"));
    // Sequences in arrival order across both paths, and the shard resumes from the last.
    const sequences = order.filter((o) => o.s > 0).map((o) => o.s);
    assert.deepEqual(sequences, [...sequences].sort((x, y) => x - y));
    assert.equal(bot.gateway.shards.get(0)?.previousSequenceNumber, sequences.at(-1));
  } finally {
    await stopGateway(bot, Promise.resolve()); // its start was awaited
    await emu.close();
  }
});

Deno.test("a gateway stopped before its start has finished leaves no timer running", async () => {
  const emu = await startEmulator({ port: 0, heartbeatIntervalMs: 1_100, identifyIntervalMs: 0 });
  // Its start ends this long after the shard connects (Discordeno's identify spacing), and
  // only then sets its 8-hour resharding check: after a stop that came first.
  const bot = createGateway({
    token: emu.token,
    restBase: emu.restBase,
    spawnShardDelay: 1_000,
    onPayload: () => {},
  });
  try {
    const starting = bot.start();
    await shardsConnected(bot.gateway, starting, () => {});
    const shards = [...bot.gateway.shards.values()];
    assert.ok(shards.length > 0);
    await stopGateway(bot, starting);
    await starting;
    // Discordeno's timers are Node's (npm code in Deno), which the op sanitizer does not see: a
    // Node `Timeout` says itself whether it was cleared. One left running holds the process for
    // eight hours.
    const check = bot.gateway.resharding.checkIntervalId as { _destroyed?: boolean } | undefined;
    assert.ok(check !== undefined, "the start set its resharding check");
    assert.equal(check._destroyed, true, "the resharding check still runs");
    assert.equal(bot.rest.queues.size, 0);
    for (const shard of shards) {
      const refill = shard.bucket.timeoutId as { _destroyed?: boolean } | undefined;
      assert.ok(refill === undefined || refill._destroyed === true, "a shard's refill timer runs");
    }
  } finally {
    await emu.close();
  }
});
