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
 *
 * The kill is made to land mid-handler: at half the load, each guild the victim owns
 * gets a `!count hold` message whose handler counts it, counts it as held, and waits
 * for a KV gate before answering; the node is killed once every held counter shows,
 * then the gates are opened (through the surviving node's API). Timing
 * the kill by the load alone (as before) found no handler half done in some runs
 * under load (CI, load 13-46): the slice just posted had not reached a handler yet
 * and the one before had finished.
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
  post,
  seenReplies,
  withCluster,
} from "./helpers/cluster_load.ts";
import { until } from "./helpers/cluster.ts";

const pg = await postgresGate();
const nats = await natsGate();
const MESSAGES = 2_000;

const SCRIPT = `const counts = kv("counts");
const gate = kv("gate");
on("messageCreate", async (message) => {
  if (message.author.bot || !message.content.startsWith("!count")) return;
  await counts.increment("seen");
  if (message.content === "!count hold") {
    // Held half done until the test opens the gate, which it does once it has killed this
    // node: the next owner finds the handler half done (reads are not journaled). Not
    // longer than 8 s: the handler's time limit is 10 s.
    await counts.increment("held");
    const deadline = Date.now() + 8_000;
    while (!(await gate.get("open")) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  // A pause between the two effects: the kill may find other handlers half done too.
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
      /** The guilds the victim owned when their `!count hold` was posted. */
      let heldGuilds: string[] = [];
      const holds: string[] = [];
      const sent = await load(cluster, MESSAGES, 1_000, async (ids) => {
        posted += ids.length;
        if (!killed && posted >= MESSAGES / 2) {
          killed = true;
          const now = await owners(cluster);
          heldGuilds = cluster.guilds.map((g) => g.id).filter((id) =>
            now.get(id) === NODES[victim]
          );
          assert.ok(heldGuilds.length > 0, `${NODES[victim]} owns no guild any more`);
          holds.push(
            ...await post(
              cluster.emulator,
              cluster.guilds.filter((g) => heldGuilds.includes(g.id)).map((g) => ({
                guildId: g.id,
                channelId: g.channels[0],
                userId: g.userId,
                content: "!count hold",
              })),
            ),
          );
          await withTestSql((sql) =>
            until("every held handler half done on the victim", async () => {
              const held = await kvCounters(sql, cluster, "counts", "held");
              return heldGuilds.every((id) => held.get(id) === 1);
            })
          );
          await cluster.runtimes[victim].kill();
          const api = cluster.runtimes[1 - victim].info.apiUrl;
          for (const guild of heldGuilds) {
            const opened = await fetch(`${api}/kv/${guild}/gate/entry?key=open`, {
              method: "PUT",
              headers: {
                authorization: `Bearer ${cluster.env.FLORA_OPERATOR_TOKEN}`,
                "content-type": "application/json",
              },
              body: JSON.stringify({ value: true }),
            });
            assert.equal(opened.status, 200, await opened.text());
          }
        }
      }, "!count");
      assert.equal(sent.length, MESSAGES);
      await seen.assertAnsweredOnce([...sent, ...holds]);

      const schema = cluster.env.FLORA_POSTGRES_SCHEMA;
      await withTestSql(async (sql) => {
        const counts = await kvCounters(sql, cluster, "counts", "seen");
        const messagesOf = (id: string) => MESSAGES / GUILDS + (heldGuilds.includes(id) ? 1 : 0);
        const expected = new Map(cluster.guilds.map((g) => [g.id, messagesOf(g.id)]));
        assert.deepEqual(counts, expected, "each counter equals its guild's messages");
        assert.deepEqual(
          await kvCounters(sql, cluster, "counts", "held"),
          new Map(heldGuilds.map((id) => [id, 1])),
          "each held message counted as held once",
        );
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
        // Each held handler's re-run answers both its increments from the journal.
        assert.ok(
          replayed >= 2 * heldGuilds.length,
          `the next owner replayed ${replayed} step(s), fewer than the ${heldGuilds.length} ` +
            "held handlers' two each",
        );
        console.log(
          `cluster effects: ${MESSAGES} messages, each counted and answered once; ` +
            `steps replayed by the next owner ${replayed} (${heldGuilds.length} handlers held); ` +
            `raw re-posts (nonce) ${seen.reposts()}; ` +
            `journal rows kept (forgotten a minute after the mark) ${left}`,
        );
      });
    }, SCRIPT),
});
