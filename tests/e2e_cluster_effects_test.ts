/**
 * Exactly-once side effects across a runtime node's death (issue 16: "a
 * single node failure never runs a handler twice"), as separate processes:
 * one standalone emulator, one gateway node and two runtime nodes over NATS
 * JetStream and PostgreSQL. Each message makes the script increment its
 * guild's KV counter, wait 20 ms and post a message that is not a reply (so
 * no reply nonce covers it); a runtime node is killed with SIGKILL mid-load. Handlers
 * it had started, or finished without marking, run again on the next owner,
 * whose effect journal answers their calls with the recorded results:
 * afterwards every counter equals the number of messages its guild got, and
 * every message was answered by exactly one message.
 */

import assert from "node:assert/strict";
import { natsGate, postgresGate, withTestSql } from "../storage/testing/servers.ts";
import {
  GUILDS,
  kvCounters,
  load,
  metricSum,
  NODES,
  owners,
  seenReplies,
  withCluster,
} from "./helpers/cluster_load.ts";

const pg = await postgresGate();
const nats = await natsGate();
const MESSAGES = 2_000;

const SCRIPT = `const counts = kv("counts");
on("messageCreate", async (message) => {
  if (message.author.bot || !message.content.startsWith("!count")) return;
  await counts.increment("seen");
  // A pause between the two effects: the kill finds handlers half done.
  await new Promise((resolve) => setTimeout(resolve, 20));
  await discord.sendMessage(message.channel_id, "seen " + message.id);
});
`;

Deno.test({
  ignore: pg.ignore || nats.ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  name: `cluster effects: kill -9 of a runtime node mid-load, each KV increment and message once${
    pg.note || nats.note
  }`,
  fn: () =>
    withCluster(async (cluster) => {
      const seen = await seenReplies(cluster);
      const owner = await owners(cluster);
      const victim = NODES.indexOf(owner.get(cluster.guilds[0].id)!);
      let posted = 0;
      let killed = false;
      const sent = await load(cluster, MESSAGES, 1_000, async (ids) => {
        posted += ids.length;
        if (!killed && posted >= MESSAGES / 2) {
          killed = true;
          await cluster.runtimes[victim].kill();
        }
      }, "!count");
      assert.equal(sent.length, MESSAGES);
      await seen.assertAnsweredOnce(sent);

      const schema = cluster.env.FLORA_POSTGRES_SCHEMA;
      await withTestSql(async (sql) => {
        const counts = await kvCounters(sql, cluster, "counts", "seen");
        const expected = new Map(cluster.guilds.map((g) => [g.id, MESSAGES / GUILDS]));
        assert.deepEqual(counts, expected, "each counter equals its guild's messages");
        const [{ left }] = await sql.unsafe<{ left: number }[]>(
          `select count(*)::integer as left from ${schema}.guild_effects`,
        );
        const survivor = cluster.runtimes[1 - victim].info.apiUrl;
        const token = cluster.env.FLORA_OPERATOR_TOKEN;
        const replayed = await metricSum(
          [survivor],
          token,
          'flora_effect_steps_total{outcome="replayed"}',
        );
        assert.ok(replayed > 0, "the next owner ran half-done handlers again");
        console.log(
          `cluster effects: ${MESSAGES} messages, each counted and answered once; ` +
            `steps replayed by the next owner ${replayed}; raw re-posts (nonce) ${seen.reposts()}; ` +
            `journal rows kept (forgotten a minute after the mark) ${left}`,
        );
      });
    }, SCRIPT),
});
