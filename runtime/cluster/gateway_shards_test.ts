import assert from "node:assert/strict";
import type { DiscordenoShard } from "@discordeno/bot";
import type { KV } from "@nats-io/kv";
import { natsGate } from "../../storage/testing/servers.ts";
import type { GatewayPayload } from "../host/event_router.ts";
import { GatewayShards, type GatewayShardsOptions, type ShardManager } from "./gateway_shards.ts";
import type { Lease } from "./leases.ts";
import { IdentifyGate, ShardSessionStore } from "./shard_sessions.ts";
import { natsTest, withNatsBucket } from "./testing.ts";

const gate = await natsGate();

const dispatch = (s: number): GatewayPayload => ({ op: 0, t: "MESSAGE_CREATE", s, d: { n: s } });

/** Node gw-a's lease of shard 0. */
const LEASE: Lease = { name: "shard.0", holder: "gw-a", token: 1, revision: 1, expiresAt: 0 };

/** A one-shard manager whose shard never connects: identify and kill do what `calls` says. */
function shardManager(calls: Partial<Pick<ShardManager, "identify" | "kill">> = {}): ShardManager {
  return {
    shards: new Map<number, DiscordenoShard>() as ShardManager["shards"],
    totalShards: 1,
    identify: () => Promise.resolve(),
    kill: () => Promise.resolve(),
    ...calls,
  };
}

/** Node gw-a's shards on `kv`, recording the sequence number of each dispatch it publishes. */
function gatewayShards(
  kv: KV,
  gateway: ShardManager,
  published: number[],
  options: Pick<GatewayShardsOptions, "lease" | "isValid"> & Partial<GatewayShardsOptions>,
): GatewayShards {
  return new GatewayShards({
    gateway,
    sessions: new ShardSessionStore(kv, "gw-a"),
    identify: new IdentifyGate(kv, { holder: "gw-a" }),
    maxConcurrency: 1,
    publish: (payload) => {
      published.push(payload.s as number);
      return Promise.resolve();
    },
    ...options,
  });
}

Deno.test({
  name:
    `GatewayShards holds a shard's dispatches while its lease renewal is late and publishes them in order once renewed${gate.note}`,
  ...natsTest(gate),
  fn: () =>
    withNatsBucket(async (kv) => {
      let held: Lease | undefined = LEASE;
      let valid = true;
      const published: number[] = [];
      const shards = gatewayShards(kv, shardManager(), published, {
        lease: () => held,
        isValid: () => valid,
      });
      await shards.start(0);

      shards.received(dispatch(1), 0, "s1");
      valid = false; // the renewal is late: the lease's validity ran out, it is still ours
      for (const s of [2, 3, 4]) shards.received(dispatch(s), 0, "s1");
      await new Promise((r) => setTimeout(r, 120));
      assert.deepEqual(published, [1], "nothing published while the lease is not valid");
      assert.equal(shards.stats.held, 3);

      valid = true; // renewed
      shards.received(dispatch(5), 0, "s1"); // arrives before the check: still behind the held
      await new Promise((r) => setTimeout(r, 120));
      assert.deepEqual(published, [1, 2, 3, 4, 5], "held ones first, in order, none lost");
      assert.equal(shards.stats.fenced, 0);

      valid = false;
      shards.received(dispatch(6), 0, "s1");
      held = undefined; // lost: the next holder's resume replays 6 (never settled)
      await shards.lost(0);
      await new Promise((r) => setTimeout(r, 120));
      shards.received(dispatch(7), 0, "s1");
      assert.deepEqual(published, [1, 2, 3, 4, 5]);
      assert.equal(shards.stats.fenced, 2, "6 given up with the lease, 7 after it");
    }),
});

Deno.test({
  name:
    `GatewayShards gives a lost shard up even when its socket never closes, and can take it again${gate.note}`,
  ...natsTest(gate),
  fn: () =>
    withNatsBucket(async (kv) => {
      let held: Lease | undefined = LEASE;
      const published: number[] = [];
      const identified: number[] = [];
      const manager = shardManager({
        identify: (id) => {
          identified.push(id);
          return Promise.resolve();
        },
        kill: () => new Promise<void>(() => {}), // the close handshake never finishes
      });
      const notices: string[] = [];
      const shards = gatewayShards(kv, manager, published, {
        lease: () => held,
        isValid: () => held !== undefined,
        killWaitMs: 50,
        onNotice: (_level, message) => notices.push(message),
      });
      await shards.start(0);
      let handled = 0;
      const stuck = { handleMessage: () => Promise.resolve(void handled++) };
      manager.shards.set(0, stuck as unknown as DiscordenoShard);
      shards.received(dispatch(1), 0, "s1");
      held = undefined;
      await shards.lost(0); // as the ownership tick awaits it: it must end
      assert.ok(notices.some((n) => /did not close within 50 ms/.test(n)), notices.join("; "));
      await stuck.handleMessage(); // a late message on the socket given up on
      assert.equal(handled, 0, "ignored");
      manager.shards.delete(0);

      held = LEASE; // the next tick takes the shard back
      await shards.start(0);
      shards.received(dispatch(2), 0, "s2");
      assert.deepEqual(identified, [0, 0]);
      assert.deepEqual(published, [1, 2]);
    }),
});

Deno.test({
  name:
    `GatewayShards: a reconnect while the shard's lease is late waits for the renewal; lost, it is dropped${gate.note}`,
  ...natsTest(gate),
  fn: () =>
    withNatsBucket(async (kv) => {
      let held: Lease | undefined = LEASE;
      let valid = true;
      const manager = shardManager();
      const shards = gatewayShards(kv, manager, [], {
        lease: () => held,
        isValid: () => valid,
      });
      await shards.start(0);
      const calls: string[] = [];
      const shard = {
        id: 0,
        identify: () => Promise.resolve(void calls.push("identify")),
        resume: () => Promise.resolve(void calls.push("resume")),
      };
      manager.shards.set(0, shard as unknown as DiscordenoShard); // the manager creates it

      // The socket dropped while the renewal is late (still this node's lease): skipped, the
      // shard would stay disconnected once the lease is renewed.
      valid = false;
      const resuming = shard.resume();
      await new Promise((r) => setTimeout(r, 150));
      assert.deepEqual(calls, [], "no resume while the lease is not valid");
      valid = true; // renewed
      await resuming;
      assert.deepEqual(calls, ["resume"]);

      // Late again, then lost: the next holder resumes the session, this node does not.
      valid = false;
      const again = shard.resume();
      await new Promise((r) => setTimeout(r, 150));
      held = undefined;
      await shards.lost(0);
      await again;
      assert.deepEqual(calls, ["resume"]);
    }),
});

Deno.test({
  name:
    `GatewayShards.start does not connect a shard given up while its stored session was read${gate.note}`,
  ...natsTest(gate),
  fn: () =>
    withNatsBucket(async (kv) => {
      let held: Lease | undefined = LEASE;
      const identified: number[] = [];
      const manager = shardManager({
        identify: (id) => Promise.resolve(void identified.push(id)),
      });
      let readDone!: () => void;
      const reading = new Promise<void>((resolve) => readDone = resolve);
      class SlowSessions extends ShardSessionStore {
        override async read(shardId: number, totalShards: number) {
          await reading; // a slow bus
          return await super.read(shardId, totalShards);
        }
      }
      const shards = gatewayShards(kv, manager, [], {
        lease: () => held,
        isValid: () => held !== undefined,
        sessions: new SlowSessions(kv, "gw-a"),
      });
      const starting = shards.start(0); // e.g. a restart after the hold overflowed
      held = undefined; // released (the node leaving) or lost meanwhile
      await shards.drain(0); // nothing running yet: nothing to hand over
      readDone();
      await starting;
      assert.deepEqual(identified, [], "not connected without its lease");
      assert.equal(shards.valid(0), false);

      held = LEASE; // taken again: it connects
      await shards.start(0);
      await shards.start(0); // a second start while it runs is a no-op
      assert.deepEqual(identified, [0]);
    }),
});
