import assert from "node:assert/strict";
import type { NatsConnection } from "@nats-io/transport-node";
import { natsGate, uniqueName } from "../../storage/testing/servers.ts";
import { EventRouter, type EventSink, type GatewayPayload } from "../host/event_router.ts";
import { GuildDirectory } from "../host/guild_directory.ts";
import { InteractionRegistry } from "../host/interactions.ts";
import type { ScriptEventName } from "../sandbox/protocol/mod.ts";
import { dispatchEvents } from "./bus_dispatches.ts";
import {
  ensureEventBus,
  EventPublisher,
  PartitionConsumer,
  removeEventBus,
  type TakeResult,
} from "./event_bus.ts";
import { withNats } from "./testing.ts";

const gate = await natsGate();

Deno.test("dispatchEvents names a dispatch by session and sequence and files it under its guild", () => {
  const message = { op: 0, t: "MESSAGE_CREATE", s: 42, d: { id: "9", guild_id: "1" } };
  const frame = JSON.stringify(message); // the text it was received as
  assert.deepEqual(dispatchEvents(message, 3, "abc", frame), [{
    id: "abc:42",
    guildId: "1",
    shardId: 3,
    payload: message,
    frame,
  }]);
  // A RESUME replays the same dispatch: same id, so the bus drops the copy.
  assert.equal(dispatchEvents({ ...message }, 3, "abc")[0].id, "abc:42");
  // Guild dispatches carry the guild itself.
  const created = { op: 0, t: "GUILD_CREATE", s: 2, d: { id: "5" } };
  assert.equal(dispatchEvents(created, 0, "abc")[0].guildId, "5");
});

Deno.test("dispatchEvents splits READY into one READY per guild, without the session's details", () => {
  const ready = {
    op: 0,
    t: "READY",
    s: 1,
    d: {
      session_id: "secret-session",
      resume_gateway_url: "wss://resume",
      guilds: [{ id: "1", unavailable: true }, { id: "2", unavailable: true }, { nope: 1 }],
    },
  };
  assert.deepEqual(dispatchEvents(ready, 2, "abc"), [
    {
      id: "abc:1:1",
      guildId: "1",
      shardId: 2,
      payload: { op: 0, t: "READY", s: 1, d: { guilds: [{ id: "1", unavailable: true }] } },
    },
    {
      id: "abc:1:2",
      guildId: "2",
      shardId: 2,
      payload: { op: 0, t: "READY", s: 1, d: { guilds: [{ id: "2", unavailable: true }] } },
    },
  ]);
});

Deno.test("dispatchEvents skips what no single guild owns", () => {
  assert.deepEqual(dispatchEvents({ op: 0, t: "READY", s: 1, d: { guilds: [] } }, 0, "abc"), []);
  // A direct message: no script gets it, in a single process either.
  assert.deepEqual(
    dispatchEvents({ op: 0, t: "MESSAGE_CREATE", s: 2, d: { id: "1" } }, 0, "abc"),
    [],
  );
  assert.deepEqual(dispatchEvents({ op: 0, t: "RESUMED", s: 3, d: {} }, 0, "abc"), []);
  assert.deepEqual(dispatchEvents({ op: 11 }, 0, "abc"), []);
  const noSession = { op: 0, t: "MESSAGE_CREATE", s: 3, d: { guild_id: "1" } };
  assert.deepEqual(dispatchEvents(noSession, 0, undefined), []);
});

/** A sink that records what each guild's script would get. */
function recordingSink(active: string[]) {
  const got: { guildId: string; name: ScriptEventName; payload: unknown }[] = [];
  const sink: EventSink = {
    deliver(guildId, name, payload, settled) {
      got.push({ guildId, name, payload });
      settled?.();
      return true;
    },
    activeGuilds: () => active,
  };
  return { sink, got };
}

/** A runtime node's event router, fed by consumers of every partition of the bus. */
async function routerOnBus(
  nc: NatsConnection,
  prefix: string,
  partitions: number,
  active: string[],
) {
  const { sink, got } = recordingSink(active);
  const router = new EventRouter(
    sink,
    new GuildDirectory(() => Promise.resolve(null)),
    new InteractionRegistry(),
  );
  const consumers = await Promise.all(
    Array.from({ length: partitions }, (_, partition) =>
      PartitionConsumer.start(nc, {
        prefix,
        partitions,
        partition,
        fence: () => true,
        take: (event) =>
          new Promise<TakeResult>((resolve) =>
            router.route(event.payload as GatewayPayload, event.shardId ?? 0, () =>
              resolve("finished"))
          ),
      })),
  );
  return { got, stop: () => Promise.all(consumers.map((c) => c.stop())) };
}

Deno.test({
  name:
    `READY through the bus gives each deployed guild one ready, as in a single process${gate.note}`,
  ignore: gate.ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withNats(async (nc) => {
      const prefix = uniqueName("t");
      const partitions = 4;
      await ensureEventBus(nc, { prefix, partitions });
      try {
        const guilds = ["101", "202", "303", "404", "505", "606", "707"];
        const deployed = ["101", "303", "404", "707"];
        const ready: GatewayPayload = {
          op: 0,
          t: "READY",
          s: 1,
          d: { session_id: "s1", guilds: guilds.map((id) => ({ id, unavailable: true })) },
        };

        // The single process: its own shard's READY goes straight to its router.
        const single = recordingSink(deployed);
        new EventRouter(
          single.sink,
          new GuildDirectory(() => Promise.resolve(null)),
          new InteractionRegistry(),
        )
          .route(ready, 0);

        // The cluster: the gateway node publishes, the partitions' owner routes.
        const cluster = await routerOnBus(nc, prefix, partitions, deployed);
        const publisher = new EventPublisher(nc, { prefix, partitions });
        for (const event of dispatchEvents(ready, 0, "s1")) await publisher.publish(event);
        const deadline = Date.now() + 10_000;
        while (cluster.got.length < deployed.length && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 20));
        }
        await new Promise((r) => setTimeout(r, 200)); // a second ready would come by now
        await cluster.stop();

        const sorted = (list: { guildId: string }[]) =>
          [...list].sort((a, b) => a.guildId.localeCompare(b.guildId));
        assert.deepEqual(
          sorted(single.got),
          deployed.map((guildId) => ({
            guildId,
            name: "ready",
            payload: { guildId },
          })),
        );
        assert.deepEqual(sorted(cluster.got), sorted(single.got));
      } finally {
        await removeEventBus(nc, prefix);
      }
    }),
});
