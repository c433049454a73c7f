/**
 * Gateway nodes share the shards by lease, and a killed one's shards RESUME
 * on the other (issue 16's tests 1, 3 and 6), with real processes: one
 * standalone emulator with 4 shards, two gateway nodes, runtime nodes
 * (`runtime,api`) and a stateless api node (`FLORA_ROLE=api`), over NATS
 * JetStream and PostgreSQL.
 *
 * 1. Every guild's `!ping` is answered exactly once.
 * 6. A deploy and a rollback through the api node are live on the runtime node
 *    that runs the guild at once (measured, printed).
 * 3. kill -9 of a gateway node during a message load: the other node resumes
 *    its shards' sessions, and every message sent is answered exactly once (0
 *    lost, 0 twice), counted per message id in the emulator's action log. The
 *    same holds for a gateway node paused past its leases (fencing), and for a
 *    rolling restart of the gateway nodes (the gateway part of test 4).
 *
 * Its size is set by `FLORA_E2E_GUILDS` (default 12) and `FLORA_E2E_RUNTIMES`
 * (default 1); the full size is `FLORA_E2E_GUILDS=200 FLORA_E2E_RUNTIMES=3`.
 */

import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { bundle } from "../client/bundle.ts";
import { EmulatorClient } from "../emulator/mod.ts";
import { busNames } from "../runtime/cluster/event_bus.ts";
import { LeaseTable } from "../runtime/cluster/leases.ts";
import { natsGate, postgresGate, TEST_NATS_URL } from "../storage/testing/servers.ts";
import { clusterEnv, type GatewayProcess, startGatewayProcess, until } from "./helpers/cluster.ts";
import { startEmulatorProcess } from "./helpers/emulator_process.ts";
import { type FloraProcess, runCli, startFloraProcess } from "./helpers/flora_process.ts";

const pg = await postgresGate();
const nats = await natsGate();
const GUILDS = Number(Deno.env.get("FLORA_E2E_GUILDS") ?? 12);
const RUNTIMES = Number(Deno.env.get("FLORA_E2E_RUNTIMES") ?? 1);
const SHARDS = 4;

/** Runs `fn` over `items`, `width` at a time. */
async function inParallel<T>(items: T[], width: number, fn: (item: T) => Promise<void>) {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: width }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
    }),
  );
}

Deno.test({
  name:
    `cluster: gateway nodes share shards by lease; a killed one's shards resume elsewhere, nothing lost; deploys through an api node go live${
      pg.note || nats.note
    }`,
  ignore: pg.ignore || nats.ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const started = Date.now();
    const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
    /** When each set-up stage ended, printed with test 1 (a slow start shows where it waited). */
    const stages: string[] = [];
    const stage = (what: string) => stages.push(`${what} ${elapsed()}`);
    // Identify limits on, as on Discord: one per bucket per 5 s, 4 buckets.
    const emulator = await startEmulatorProcess([
      `--shards=${SHARDS}`,
      `--max-concurrency=${SHARDS}`,
      "--identify-interval=5000",
      "--heartbeat=10000",
    ]);
    const emu = new EmulatorClient(emulator.controlUrl);
    const cluster = clusterEnv(emulator, 8);
    const { env, prefix, operatorToken } = cluster;
    const nodes: FloraProcess[] = [];
    let stopLoad = async () => {};
    const gateways: GatewayProcess[] = [];
    const scripts = await Deno.makeTempDir({ prefix: "flora-gwfail-" });
    const nc = await connect({ servers: TEST_NATS_URL });
    try {
      // The load spreads over several channels per guild: a channel takes 5 replies per 5 s.
      const guilds = emulator.guilds.map((g) => ({ ...g, channels: [g.general] }));
      for (let i = guilds.length; i < GUILDS; i++) {
        const created = await emu.createGuild({
          name: `Load ${i}`,
          channels: ["general", "load-1", "load-2", "load-3"],
        });
        const text = created.channels.filter((c) => c.type === 0).map((c) => c.id);
        guilds.push({ name: created.name, id: created.id, general: text[0], channels: text });
      }
      const shardOf = (guildId: string) => Number((BigInt(guildId) >> 22n) % BigInt(SHARDS));
      assert.ok(new Set(guilds.map((g) => shardOf(g.id))).size > 1, "guilds on several shards");

      for (let i = 1; i <= RUNTIMES; i++) {
        nodes.push(
          await startFloraProcess({
            env: { ...env, FLORA_ROLE: "runtime,api", FLORA_NODE_ID: `runtime-${i}` },
          }),
        );
      }
      // The api node and the first gateway node start side by side (the schema exists by now).
      const [api, gateway1] = await Promise.allSettled([
        startFloraProcess({ env: { ...env, FLORA_ROLE: "api", FLORA_NODE_ID: "api-1" } }),
        startGatewayProcess({ ...env, FLORA_NODE_ID: "gateway-1" }),
      ]);
      if (api.status === "fulfilled") nodes.push(api.value);
      if (gateway1.status === "fulfilled") gateways.push(gateway1.value);
      if (api.status === "rejected") throw api.reason;
      if (gateway1.status === "rejected") throw gateway1.reason;
      const apiNode = api.value;
      const runtimes = nodes.slice(0, RUNTIMES);
      stage("nodes started");

      const shardLeases = new LeaseTable(
        await new Kvm(nc).create(busNames(prefix).shardLeases, { history: 1 }),
        { holder: "test" },
      );
      const holders = async () => {
        const held = await shardLeases.list();
        return Array.from({ length: SHARDS }, (_, n) => held.get(`shard.${n}`)?.holder ?? null);
      };
      await until(
        "gateway-1 holds every shard",
        async () => (await holders()).every((h) => h === "gateway-1"),
      );
      stage("gateway-1 holds every shard");
      gateways.push(await startGatewayProcess({ ...env, FLORA_NODE_ID: "gateway-2" }));
      // gateway-1 hands gateway-2 its share; gateway-2 resumes those sessions.
      await until("the gateway nodes hold two shards each", async () => {
        const now = await holders();
        return now.filter((h) => h === "gateway-1").length === 2 &&
          now.filter((h) => h === "gateway-2").length === 2;
      });
      await until(
        "gateway-2 resumed the sessions it was handed",
        () => (gateways[1].output().match(/resumed session/g) ?? []).length === 2,
      );

      stage("gateway-2 resumed its share");
      // Deploy through the api node; the runtime nodes hear of it (PostgreSQL LISTEN/NOTIFY).
      const bundles = new Map<string, Promise<unknown>>();
      const bundleReplying = (reply: string) => {
        const file = `${scripts}/${reply.replace(/\W/g, "_")}.ts`;
        const code = `createBot({ prefixCommands: [prefix({ name: "ping", run: (ctx) => ` +
          `ctx.reply(${JSON.stringify(reply)}) })] });\n`;
        return Deno.writeTextFile(file, code).then(() => bundle(file));
      };
      const deploy = async (guildId: string, reply: string) => {
        if (!bundles.has(reply)) bundles.set(reply, bundleReplying(reply));
        const response = await fetch(`${apiNode.info.apiUrl}/deployments/${guildId}`, {
          method: "POST",
          headers: { authorization: `Bearer ${operatorToken}`, "content-type": "application/json" },
          body: JSON.stringify(await bundles.get(reply)),
        });
        const text = await response.text();
        assert.equal(response.status, 201, text);
        return (JSON.parse(text) as { deployment: { id: string; revision: number } }).deployment;
      };
      await inParallel(guilds, 4, async (guild) => void await deploy(guild.id, "pong"));
      for (const node of runtimes) {
        await until("every guild is live on every runtime node", async () => {
          const health = await (await fetch(`${node.info.apiUrl}/health`)).json();
          return health.activeGuilds === guilds.length;
        });
      }

      stage("deployed and live");
      let since = (await emu.actions()).at(-1)?.seq ?? 0;
      const sent: string[] = [];
      const shardOfMessage = new Map<string, number>();
      /** The replies to each message: content by created message (as a user sees them). */
      const replies = async () => {
        const byMessage = new Map<string, Map<string, string>>();
        for (const action of await emu.actions({ since })) {
          const body = action.body as {
            content?: string;
            message_reference?: { message_id?: string };
          };
          const target = body?.message_reference?.message_id;
          const created = (action.response as { id?: string } | undefined)?.id;
          // A refused post (e.g. 429) is retried: only a stored one answers.
          if (action.route !== "POST /channels/:id/messages" || action.status >= 300) continue;
          if (!target || !created) continue;
          if (!byMessage.has(target)) byMessage.set(target, new Map());
          byMessage.get(target)!.set(created, body.content ?? "");
        }
        return byMessage;
      };
      const ping = async (guild: (typeof guilds)[number], channelId = guild.general) => {
        const message = await emu.sendMessage({
          guildId: guild.id,
          channelId,
          userId: emulator.users.member,
          content: "!ping",
        });
        sent.push(message.id);
        shardOfMessage.set(message.id, shardOf(guild.id));
        return message.id;
      };
      /** Prints what the bus holds of `ids`, and every node's output (when a check failed). */
      const explain = async (ids: string[]) => {
        const jsm = await jetstreamManager(nc);
        const stream = busNames(prefix).stream;
        const info = await jsm.streams.info(stream);
        for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
          const m = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
          if (!m) continue;
          const text = new TextDecoder().decode(m.data);
          if (ids.some((id) => text.includes(`"id":"${id}"`))) {
            console.error("bus", seq, m.header?.get("Nats-Msg-Id"), text.slice(0, 200));
          }
        }
        for (const p of [...gateways, ...runtimes]) console.error(p.output());
        for (const n of runtimes) {
          console.error(
            (await (await fetch(`${n.info.apiUrl}/metrics`, {
              headers: { authorization: `Bearer ${operatorToken}` },
            })).text()).split("\n").filter((l) => l.startsWith("flora_bus")).join("\n"),
          );
        }
      };
      let phase = "every guild";

      const answeredOnce = async (timeoutMs = 60_000) => {
        await until("every !ping answered", async () => {
          const got = await replies();
          return sent.every((id) => got.has(id));
        }, timeoutMs).catch(async (error) => {
          const got = await replies();
          const missing = sent.filter((id) => !got.has(id));
          console.error("missing on shards", missing.map((id) => shardOfMessage.get(id)));
          await explain(missing);
          throw new Error(`${error.message}: ${missing.length} of ${sent.length} unanswered`);
        });
        await new Promise((r) => setTimeout(r, 1_000)); // a second answer would come by now
        const got = await replies();
        const twice = sent.filter((id) => (got.get(id)?.size ?? 0) > 1);
        if (twice.length > 0) await explain(twice);
        assert.deepEqual(
          twice.map((id) => [id, shardOfMessage.get(id), [...got.get(id)!.values()]]),
          [],
          `no message answered twice (${phase})`,
        );
        assert.equal(got.size, sent.length, "no answer to a message not sent");
      };

      // Test 1: every guild's !ping answered exactly once.
      await inParallel(guilds, 4, async (guild) => void await ping(guild));
      await answeredOnce();
      console.log(
        `cluster: ${guilds.length} guilds on ${SHARDS} shards each answered once (${elapsed()}; ` +
          `set-up: ${stages.join(", ")})`,
      );

      // The operator view, through the api node: every node by role, each shard's gateway node.
      const view = await (await fetch(`${apiNode.info.apiUrl}/cluster`, {
        headers: { authorization: `Bearer ${operatorToken}` },
      })).json();
      assert.deepEqual(
        view.nodes.map((n: { node: string; roles: string[] }) => `${n.node}:${n.roles.join(",")}`),
        [
          "api-1:api",
          "gateway-1:gateway",
          "gateway-2:gateway",
          ...runtimes.map((_, i) => `runtime-${i + 1}:runtime,api`),
        ],
      );
      assert.deepEqual(
        view.shards.map((s: { owner: string }) => s.owner),
        await holders(),
        "each shard's gateway node",
      );
      for (const s of view.shards) assert.ok(s.seq > 0, `shard ${s.shard} stored its sequence`);
      const cli = await runCli(["cluster", "status"], {
        FLORA_API_URL: apiNode.info.apiUrl,
        FLORA_TOKEN: operatorToken,
      });
      assert.equal(cli.code, 0, cli.stderr);
      assert.match(cli.stdout, /SHARD\s+GATEWAY NODE\s+RESUMES AFTER/);
      assert.match(cli.stdout, /^0\s+gateway-[12]\s+seq \d+/m);

      // Test 6: a deploy, then a rollback, through the api node, live on the runtime node at
      // once: measured from the API's answer to the first !ping the new code answers (pings
      // every 50 ms).
      const target = guilds[0];
      const liveAfter = async (expected: string, since: number) => {
        const started = Date.now();
        const probes: { id: string; at: number }[] = [];
        let answeredAt: number | null = null;
        while (answeredAt === null) {
          if (Date.now() - started > 10_000) throw new Error(`"${expected}" never answered`);
          probes.push({ id: await ping(target), at: Date.now() });
          await new Promise((r) => setTimeout(r, 50));
          const got = await replies();
          const first = probes.find((p) => [...got.get(p.id)?.values() ?? []][0] === expected);
          if (first) answeredAt = first.at;
        }
        return answeredAt - since;
      };
      phase = "deploy and rollback";
      const v2 = await deploy(target.id, "pong v2");
      const deployLive = await liveAfter("pong v2", Date.now());
      const rollback = await fetch(`${apiNode.info.apiUrl}/deployments/${target.id}/rollback`, {
        method: "POST",
        headers: { authorization: `Bearer ${operatorToken}`, "content-type": "application/json" },
        body: JSON.stringify({ revision: v2.revision - 1 }),
      });
      assert.equal(rollback.status, 201, await rollback.text());
      const rollbackLive = await liveAfter("pong", Date.now());
      console.log(
        `cluster: via the api node, deploy live on the runtime node after ≤ ${deployLive} ms, ` +
          `rollback after ≤ ${rollbackLive} ms`,
      );
      assert.ok(deployLive < 1_000, `deploy live after ${deployLive} ms`);
      assert.ok(rollbackLive < 1_000, `rollback live after ${rollbackLive} ms`);
      await answeredOnce();

      // Load: round-robin over every channel, each at most 0.8 messages/s (a channel takes 5
      // replies per 5 s), and at most 30 messages/s in all (the bot's global limit is 50 requests
      // per second, which the runtime nodes pace each on its own without REDIS_URL).
      const channels = guilds.flatMap((guild) => guild.channels.map((id) => ({ guild, id })));
      const pause = Math.max(1_000 / 30, 1_250 / channels.length);
      const startLoad = () => {
        let loading = true;
        const done = (async () => {
          for (let i = 0; loading; i++) {
            const { guild, id } = channels[i % channels.length];
            await ping(guild, id);
            await new Promise((r) => setTimeout(r, pause));
          }
        })();
        return async () => {
          loading = false;
          await done;
        };
      };
      const resumedCount = (node: GatewayProcess) =>
        (node.output().match(/resumed session/g) ?? []).length;

      // A gateway node paused (SIGSTOP) past its leases during load: the other resumes its
      // shards; woken, it publishes nothing for them (fenced), stops them, rejoins and is handed
      // its share back; every message answered once.
      phase = "gateway pause";
      since = (await emu.actions()).at(-1)?.seq ?? 0;
      sent.length = 0;
      stopLoad = startLoad();
      await new Promise((r) => setTimeout(r, 1_000));
      const paused = (await holders())[shardOf(target.id)] === "gateway-1" ? 0 : 1;
      const other = gateways[1 - paused];
      const otherResumed = resumedCount(other);
      Deno.kill(gateways[paused].pid, "SIGSTOP");
      try {
        await until(
          "the other gateway node resumed the paused node's shards",
          () => resumedCount(other) === otherResumed + 2,
        );
      } finally {
        Deno.kill(gateways[paused].pid, "SIGCONT");
      }
      // Woken, it stops them: told by its renewal (lost), or by a dispatch it must not publish.
      await until(
        "the paused node stopped the shards it lost",
        () =>
          (gateways[paused].output().match(/lost shard \d|shard \d: its lease ran out/g) ?? [])
            .length >= 2,
      );
      await until(
        "the paused node rejoined and holds two shards again",
        async () => (await holders()).filter((h) => h === `gateway-${paused + 1}`).length === 2,
      );
      await stopLoad();
      await answeredOnce();
      console.log(
        `cluster: gateway-${paused + 1} paused past its leases and resumed: ${sent.length} ` +
          `messages during the load, each answered exactly once (${elapsed()})`,
      );

      // Test 3: kill -9 of a gateway node during load; every message answered once.
      phase = "gateway kill";
      since = (await emu.actions()).at(-1)?.seq ?? 0;
      sent.length = 0;
      stopLoad = startLoad();
      await new Promise((r) => setTimeout(r, 2_000));
      const victim = (await holders())[shardOf(target.id)] === "gateway-1" ? 0 : 1;
      const survivor = gateways[1 - victim];
      const lostShards = (await holders()).flatMap((h, n) =>
        h === `gateway-${victim + 1}` ? [n] : []
      );
      const outputBefore = survivor.output().length;
      const resumedBefore = resumedCount(survivor);
      await gateways[victim].kill();
      const killedAt = Date.now();
      await until(
        "the survivor resumed the killed node's shards",
        () => resumedCount(survivor) === resumedBefore + lostShards.length,
      );
      const takeoverMs = Date.now() - killedAt;
      await new Promise((r) => setTimeout(r, 2_000)); // load continues on the survivor alone
      await stopLoad();
      await answeredOnce();
      assert.deepEqual(await holders(), Array(SHARDS).fill(`gateway-${2 - victim}`));
      assert.doesNotMatch(
        survivor.output().slice(outputBefore),
        /identifying/,
        "resumed, not identified",
      );
      console.log(
        `cluster: gateway-${victim + 1} killed holding shards ${lostShards.join(", ")}; ` +
          `resumed on gateway-${2 - victim} after ${takeoverMs} ms; ` +
          `${sent.length} messages sent during the load, each answered exactly once (${elapsed()})`,
      );

      // A rolling restart of the gateway tier during load: a new node joins and is handed half
      // the shards, then the old one stops (SIGTERM) and hands over the rest; every message
      // answered once.
      phase = "gateway rolling restart";
      since = (await emu.actions()).at(-1)?.seq ?? 0;
      sent.length = 0;
      stopLoad = startLoad();
      const fresh = await startGatewayProcess({ ...env, FLORA_NODE_ID: "gateway-3" });
      gateways.push(fresh);
      await until(
        "gateway-3 was handed two shards",
        async () => (await holders()).filter((h) => h === "gateway-3").length === 2,
      );
      await survivor.stop();
      const stoppedAt = Date.now();
      await until(
        "gateway-3 holds and resumed every shard",
        async () =>
          (await holders()).every((h) => h === "gateway-3") && resumedCount(fresh) === SHARDS,
      );
      const handoverMs = Date.now() - stoppedAt;
      await new Promise((r) => setTimeout(r, 1_000));
      await stopLoad();
      await answeredOnce();
      console.log(
        `cluster: gateway tier restarted under load (handover after SIGTERM: ${handoverMs} ms); ` +
          `${sent.length} messages, each answered exactly once (${elapsed()})`,
      );
    } finally {
      await stopLoad().catch(() => {}); // a failed check leaves the load running
      // Killed: a clean stop would hand shards over to nodes about to stop too.
      for (const gateway of gateways) await gateway.kill();
      for (const node of nodes) await node.stop();
      await emulator.stop();
      await Deno.remove(scripts, { recursive: true }).catch(() => {});
      await nc.close();
      await cluster.remove();
    }
  },
});
