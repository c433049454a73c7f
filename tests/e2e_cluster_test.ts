/**
 * flora as a cluster of separate processes: one standalone emulator, one
 * gateway node and two runtime nodes (which also serve the API), over NATS
 * JetStream and PostgreSQL. Every `!ping` in every guild is answered exactly
 * once, and both runtime nodes take a share of the partitions.
 */

import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { bundle } from "../client/bundle.ts";
import { EmulatorClient } from "../emulator/mod.ts";
import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { busNames } from "../runtime/cluster/event_bus.ts";
import { LeaseTable } from "../runtime/cluster/leases.ts";
import { partitionLease, partitionOf } from "../runtime/cluster/partitions.ts";
import { natsGate, postgresGate, TEST_NATS_URL } from "../storage/testing/servers.ts";
import {
  clusterEnv,
  deployAll,
  type GatewayProcess,
  ReplyLog,
  startGatewayProcess,
  until,
} from "./helpers/cluster.ts";
import { startEmulatorProcess } from "./helpers/emulator_process.ts";
import { type FloraProcess, runCli, startFloraProcess } from "./helpers/flora_process.ts";

const pg = await postgresGate();
const nats = await natsGate();

Deno.test({
  name:
    `cluster: a gateway node and two runtime nodes answer every !ping exactly once, also across a runtime node's pause and kill${
      pg.note || nats.note
    }`,
  ignore: pg.ignore || nats.ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const emulator = await startEmulatorProcess(["--heartbeat=30000"]);
    const cluster = clusterEnv(emulator, 8);
    const { env, prefix, operatorToken } = cluster;
    const runtimes: FloraProcess[] = [];
    let gateway: GatewayProcess | undefined;
    const scripts = await Deno.makeTempDir({ prefix: "flora-cluster-" });
    try {
      for (const id of ["runtime-1", "runtime-2"]) {
        runtimes.push(
          await startFloraProcess({
            env: { ...env, FLORA_ROLE: "runtime,api", FLORA_NODE_ID: id },
          }),
        );
      }
      gateway = await startGatewayProcess({ ...env, FLORA_NODE_ID: "gateway-1" });

      // Deploy through one node's API; both runtime nodes load it (PostgreSQL LISTEN/NOTIFY).
      const path = `${scripts}/ping.ts`;
      await Deno.writeTextFile(
        path,
        `createBot({ prefixCommands: [prefix({ name: "ping", run: (ctx) => ctx.reply("pong") })] });\n`,
      );
      const code = await bundle(path);
      await deployAll(
        runtimes[0].info.apiUrl,
        operatorToken,
        emulator.guilds.map((g) => g.id),
        code,
      );
      for (const node of runtimes) {
        await until("both guilds live on every runtime node", async () => {
          const health = await (await fetch(`${node.info.apiUrl}/health`)).json();
          return health.activeGuilds === emulator.guilds.length;
        });
      }
      // Both runtime nodes hold partitions once the first has handed the second its share.
      await until(
        "both runtime nodes own partitions",
        () => runtimes.every((node) => node.output().includes("took partition")),
      );

      const emu = new EmulatorClient(emulator.controlUrl);
      const replies = await ReplyLog.from(emu);
      const sent: string[] = [];
      const pingAll = async (rounds: number) => {
        for (let round = 0; round < rounds; round++) {
          for (const guild of emulator.guilds) {
            const message = await emu.sendMessage({
              guildId: guild.id,
              channelId: guild.general,
              userId: emulator.users.member,
              content: "!ping",
            });
            sent.push(message.id);
          }
        }
      };
      const answeredOnce = () => replies.assertAnsweredOnce(sent, 30_000);
      await pingAll(5);
      await answeredOnce();

      // Each runtime node counts what it took from the bus.
      let handled = 0;
      for (const node of runtimes) {
        const text = await (await fetch(`${node.info.apiUrl}/metrics`, {
          headers: { authorization: `Bearer ${operatorToken}` },
        })).text();
        assert.match(text, /^flora_bus_partitions_owned [1-8]$/m);
        handled += Number(
          /^flora_bus_events_total\{outcome="handled"\} (\d+)$/m.exec(text)?.[1] ?? 0,
        );
      }
      assert.ok(handled >= sent.length, `the runtime nodes handled ${handled} bus events`);

      // The operator's view, through the API and the CLI.
      const view = await (await fetch(`${runtimes[1].info.apiUrl}/cluster`, {
        headers: { authorization: `Bearer ${operatorToken}` },
      })).json();
      assert.deepEqual(
        view.nodes.map((n: { node: string; roles: string[] }) => [n.node, n.roles.join(",")]),
        [["gateway-1", "gateway"], ["runtime-1", "runtime,api"], ["runtime-2", "runtime,api"]],
      );
      assert.equal(view.partitions.length, 8);
      // Each runtime node reports its resident workers; together they run every pinged guild.
      const workers = view.nodes
        .filter((n: { roles: string[] }) => n.roles.includes("runtime"))
        .map((n: { stats?: { residentWorkers?: number } }) => n.stats?.residentWorkers);
      assert.ok(workers.every((w: unknown) => typeof w === "number"), `workers ${workers}`);
      assert.ok(workers.reduce((a: number, b: number) => a + b, 0) >= emulator.guilds.length);
      for (const p of view.partitions) {
        assert.ok(["runtime-1", "runtime-2"].includes(p.owner), `partition ${p.partition} owned`);
        assert.equal(p.pending, 0);
      }
      const cli = await runCli(["cluster", "status"], {
        FLORA_API_URL: runtimes[0].info.apiUrl,
        FLORA_TOKEN: operatorToken,
      });
      assert.equal(cli.code, 0, cli.stderr);
      assert.match(cli.stdout, /gateway-1\s+gateway\s/);
      assert.match(cli.stdout, /PARTITION\s+OWNER\s+PENDING\s+UNACKED/);

      const nc = await connect({ servers: TEST_NATS_URL });
      const leases = new LeaseTable(
        await new Kvm(nc).open(busNames(prefix).partitionLeases),
        { holder: "test" },
      );
      /** The runtime node that owns the first guild's partition now. */
      const ownerOfFirstGuild = async () => {
        const owner = await leases.read(partitionLease(partitionOf(emulator.guilds[0].id, 8)));
        const index = ["runtime-1", "runtime-2"].indexOf(owner?.holder ?? "");
        assert.ok(index >= 0, `a runtime node owns the partition (${owner?.holder})`);
        return index;
      };

      // SIGSTOP of that node past its lease: the other takes its partitions and answers what is
      // sent meanwhile; resumed, the paused node handles nothing of what it lost (fencing) and
      // rejoins; every message is still answered exactly once.
      const paused = await ownerOfFirstGuild();
      const jsm = await jetstreamManager(nc);
      const firstPartition = partitionOf(emulator.guilds[0].id, 8);
      const consumerOfFirst = () =>
        jsm.consumers.info(busNames(prefix).stream, busNames(prefix).consumer(firstPartition));
      const beforePause = await consumerOfFirst();
      /**
       * How many of the first guild's events the server pushed to the paused node's open pull,
       * read before the other node takes the partition (replacing its consumer, 4.5 s into the
       * pause at the earliest); null once it did (unknown). A pull expires after 30 s, and a
       * stopped node sends no new one: when its pull expired just before the events came,
       * none was pushed (0), and the node cannot say it left any.
       */
      const pushedToPaused = async (): Promise<number | null> => {
        while (true) {
          const now = await consumerOfFirst();
          if (now.created !== beforePause.created) return null;
          const pushed = now.delivered.consumer_seq - beforePause.delivered.consumer_seq;
          if (pushed > 0 || (now.num_pending > 0 && now.num_waiting === 0)) return pushed;
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      const outputBefore = runtimes[paused].output().length;
      Deno.kill(runtimes[paused].info.pid, "SIGSTOP");
      const pausedAt = Date.now();
      let pushed: number | null;
      try {
        await pingAll(1);
        pushed = await pushedToPaused();
        console.log(
          `cluster: ${pushed} event(s) pushed to the paused node's pull, seen after ${
            Date.now() - pausedAt
          } ms`,
        );
        await pingAll(2);
        await answeredOnce();
      } finally {
        Deno.kill(runtimes[paused].info.pid, "SIGCONT");
      }
      await until("the paused node rejoins and owns partitions again", async () => {
        const view = await (await fetch(`${runtimes[1 - paused].info.apiUrl}/cluster`, {
          headers: { authorization: `Bearer ${operatorToken}` },
        })).json();
        return view.partitions.some((p: { owner: string }) => p.owner === `runtime-${paused + 1}`);
      });
      const sincePause = () => runtimes[paused].output().slice(outputBefore);
      assert.match(
        sincePause(),
        new RegExp(`lost partition ${firstPartition} \\(lease expired\\)`),
      );
      // What was pushed to its open pull while it was stopped is fenced, not handled, and said,
      // whether it reads those events before or after its lease's loss stops the consumer.
      if (pushed) {
        const left = new RegExp(
          `partition ${firstPartition}: (\\d+) event\\(s\\) left to the next owner`,
        );
        await until("the paused node says what it left", () => left.test(sincePause()), 10_000);
        const said = Number(left.exec(sincePause())![1]);
        assert.ok(said >= pushed, `${pushed} pushed to the paused node, ${said} said left`);
      } else {
        console.log(
          `cluster: the paused node's notice of what it left was not checked: ${
            pushed === 0
              ? "its pull had expired, nothing was pushed"
              : "its consumer was replaced first"
          }`,
        );
      }
      await pingAll(3);
      await answeredOnce();

      // kill -9 of the node that owns the first guild's partition now: its partitions move to
      // the other, whose answers resume within the lease time (6 s TTL + 1 s skew + a 2 s
      // tick); nothing is lost.
      const victim = await ownerOfFirstGuild();
      await nc.close();
      await runtimes[victim].kill();
      const killedAt = Date.now();
      await pingAll(3);
      await answeredOnce();
      const resumedMs = Date.now() - killedAt;
      console.log(`cluster: answers resumed ${resumedMs} ms after a runtime node's kill -9`);
      // The emulator's rate limits stay on: report how many 429s the nodes got meanwhile.
      const limited = (await emu.actions()).filter((a) => a.status === 429).length;
      console.log(`cluster: the emulator answered ${limited} 429(s) over the whole test`);
      assert.ok(resumedMs < 20_000, `answers resumed after ${resumedMs} ms`);
    } finally {
      await gateway?.stop();
      for (const node of runtimes) await node.stop();
      await emulator.stop();
      await Deno.remove(scripts, { recursive: true }).catch(() => {});
      await cluster.remove();
    }
  },
});
