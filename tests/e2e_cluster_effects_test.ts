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
import postgres from "postgres";
import { natsGate, postgresGate, TEST_DATABASE_URL } from "../storage/testing/servers.ts";
import { ReplyLog } from "./helpers/cluster.ts";
import { GUILDS, load, NODES, owners, withCluster } from "./helpers/cluster_load.ts";

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

/** Sums a counter over the nodes' `GET /metrics`. */
async function metric(urls: string[], token: string, pattern: RegExp): Promise<number> {
  let sum = 0;
  for (const url of urls) {
    const text = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } })
      .then((r) => r.text(), () => "");
    sum += Number(pattern.exec(text)?.[1] ?? 0);
  }
  return sum;
}

Deno.test({
  ignore: pg.ignore || nats.ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  name: `cluster effects: kill -9 of a runtime node mid-load, each KV increment and message once${
    pg.note || nats.note
  }`,
  fn: () =>
    withCluster(async (cluster) => {
      const seen = await ReplyLog.from(cluster.emu, (body) => {
        const content = body?.content ?? "";
        return content.startsWith("seen ") ? content.slice(5) : undefined;
      });
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
      const sql = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
      try {
        const rows = await sql.unsafe<{ guild_id: string; value: string }[]>(
          `select guild_id, value from ${schema}.guild_kv where store = 'counts' and key = 'seen'`,
        );
        const counts = new Map(rows.map((r) => [r.guild_id, Number(JSON.parse(r.value))]));
        const expected = new Map(cluster.guilds.map((g) => [g.id, MESSAGES / GUILDS]));
        assert.deepEqual(counts, expected, "each counter equals its guild's messages");
        const [{ left }] = await sql.unsafe<{ left: number }[]>(
          `select count(*)::integer as left from ${schema}.guild_effects`,
        );
        const survivor = cluster.runtimes[1 - victim].info.apiUrl;
        const token = cluster.env.FLORA_OPERATOR_TOKEN;
        const replayed = await metric(
          [survivor],
          token,
          /^flora_effect_steps_total\{outcome="replayed"\} (\d+)$/m,
        );
        assert.ok(replayed > 0, "the next owner ran half-done handlers again");
        console.log(
          `cluster effects: ${MESSAGES} messages, each counted and answered once; ` +
            `steps replayed by the next owner ${replayed}; raw re-posts (nonce) ${seen.reposts()}; ` +
            `journal rows kept (forgotten a minute after the mark) ${left}`,
        );
      } finally {
        await sql.end();
      }
    }, SCRIPT),
});
