import assert from "node:assert/strict";
import {
  checkEffectFence,
  type EffectFence,
  effectFence,
  EffectFenced,
} from "../../shared/effect_fence.ts";
import { EmulatorClient } from "../../emulator/client.ts";
import { type Emulator, startEmulator } from "../../emulator/mod.ts";
import { natsGate } from "../../storage/testing/servers.ts";
import { clockedLeases, natsTest, withNatsBucket } from "../cluster/testing.ts";
import { OPERATION_NAMES, type OperationName } from "../sandbox/protocol/mod.ts";
import { isFencedCall, runFenced } from "./effect_fencing.ts";
import { READ_ONLY_OPERATIONS } from "./effect_journaling.ts";
import type { Bot } from "@discordeno/bot";
import { createGateway } from "./gateway.ts";
import type { Handover } from "./guild_queue.ts";
import {
  discordRequest,
  type FenceableRest,
  fenceRestSends,
  type RawRest,
  unwrapFenced,
} from "./operations/discord_request.ts";

const gate = await natsGate();

/** A bus event's handover whose lease holds while `holds()` says so; records refusals. */
function handover(holds: () => boolean): Handover & { refusals: number } {
  return {
    id: "s:1",
    partition: 3,
    mayHaveRun: false,
    mayStart: holds,
    mayAct: holds,
    refusals: 0,
    fenced() {
      this.refusals++;
    },
    withdrawn() {},
  };
}

Deno.test("isFencedCall: writes and Discord changes are fenced, reads and safe fetches not", () => {
  for (const op of ["kv.set", "kv.atomic", "message.send", "reaction.add", "sorted.incr"]) {
    assert.equal(isFencedCall(op as OperationName, {}), true, op);
  }
  for (const op of ["kv.get", "kv.list", "message.get", "sorted.range"]) {
    assert.equal(isFencedCall(op as OperationName, {}), false, op);
  }
  assert.equal(isFencedCall("fetch", { method: "GET" }), false);
  assert.equal(isFencedCall("fetch", { method: "head" }), false);
  assert.equal(isFencedCall("fetch", { method: "POST" }), true);
  assert.equal(isFencedCall("fetch", {}), true, "an unknown method is not assumed safe");
});

Deno.test("runFenced refuses a mutating call once the lease lapsed, and tells once", async () => {
  let holds = true;
  const event = handover(() => holds);
  const fenced: string[] = [];
  const count = (op: OperationName) => fenced.push(op);
  let runs = 0;
  const call = (op: OperationName) =>
    runFenced("42", op, {}, event, count, () => {
      runs++;
      return Promise.resolve("done");
    });
  assert.equal(await call("kv.set"), "done");
  holds = false;
  await assert.rejects(call("kv.set"), EffectFenced);
  await assert.rejects(
    call("message.send"),
    /message\.send: this node lost guild 42's partition 3 \(its lease lapsed\); the event runs on its next owner/,
  );
  assert.equal(await call("kv.get"), "done", "reads go on");
  assert.equal(runs, 2);
  assert.deepEqual(fenced, ["kv.set", "message.send"]);
  assert.equal(event.refusals, 2, "the event is told, so it is neither marked nor acked");
});

Deno.test("runFenced: the check where the effect lands sees a lapse during an earlier await", async () => {
  let holds = true;
  const event = handover(() => holds);
  let executed = false;
  const call = runFenced("42", "kv.increment", {}, event, () => {}, async () => {
    // E.g. the journal's read, or a rate-limit queue: the node is paused meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 10));
    checkEffectFence();
    executed = true;
  });
  holds = false;
  await assert.rejects(call, EffectFenced);
  assert.equal(executed, false);
  assert.equal(event.refusals, 1);
  checkEffectFence(); // no fence outside the call: this node's own work is not fenced
});

Deno.test({
  ...natsTest(gate),
  name:
    `Effect fence: a node acts until its lease's expiry minus safetyMs, by its own clock${gate.note}`,
  fn: () =>
    withNatsBucket(async (kv) => {
      const timing = { ttlMs: 6_000, skewMs: 1_000, safetyMs: 1_000 };
      const { clock, tables: [leases, next] } = clockedLeases(kv, timing, "node-a", "node-b");
      let lease = (await leases.acquire("partition.3"))!;
      const event = handover(() => leases.isValid(lease));
      const write = () => runFenced("42", "kv.set", {}, event, () => {}, () => Promise.resolve(1));
      clock.advance(4_999);
      assert.equal(await write(), 1, "within the lease, less the safety margin");
      lease = (await leases.renew(lease))!; // a renewal moves the expiry on
      clock.advance(4_999);
      assert.equal(await write(), 1);
      clock.advance(1); // paused here: the next owner may take it 2 s later
      await assert.rejects(write(), EffectFenced);
      assert.equal(await next.acquire("partition.3"), null, "no one else holds it yet");
      clock.advance(2_000);
      assert.ok(await next.acquire("partition.3"), "the next owner takes it");
      await assert.rejects(write(), EffectFenced);
      assert.equal(event.refusals, 2);
    }),
});

/** Runs `fn` with an emulator and a bot whose REST sends are fenced, as on a runtime node. */
async function withFencedBot(fn: (emu: Emulator, bot: Bot) => Promise<void>): Promise<void> {
  const emu = await startEmulator({ port: 0 });
  try {
    const bot = createGateway({ token: emu.token, restBase: emu.restBase, onPayload: () => {} });
    fenceRestSends(bot.rest as unknown as FenceableRest);
    await fn(emu, bot);
  } finally {
    await emu.close();
  }
}

Deno.test({
  name: "fenceRestSends: a request fenced while queued is not sent; a holding one is",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withFencedBot(async (emu, bot) => {
      const request = discordRequest(bot.rest as unknown as RawRest);
      const channel = emu.seeded!.guilds[0].channels.general;
      const post = (fence: EffectFence) =>
        effectFence.run(
          fence,
          () => request("POST", `/channels/${channel}/messages`, { body: { content: "hi" } }),
        );
      const before = emu.actions.lastSeq;
      let checks = 0;
      // Passes discordRequest's check, refused when Discordeno is about to send it.
      const lapsing: EffectFence = {
        check() {
          if (++checks > 1) throw new EffectFenced("lost the partition");
        },
      };
      await assert.rejects(post(lapsing), EffectFenced);
      assert.equal(checks, 2);
      assert.equal(emu.actions.list({ since: before }).length, 0, "nothing reached Discord");
      // Its bucket's queue was given its slot back: the next request goes.
      const sent = await post({ check() {} }) as { content: string };
      assert.equal(sent.content, "hi");
      assert.equal(emu.actions.list({ since: before }).length, 1);
    }),
});

Deno.test({
  name: "fenceRestSends: an interaction answer made by Discordeno's own helper is fenced at send",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withFencedBot(async (emu, bot) => {
      const guild = emu.seeded!.guilds[0];
      await discordRequest(bot.rest as unknown as RawRest)(
        "PUT",
        `/applications/${emu.applicationId}/guilds/${guild.id}/commands`,
        { body: [{ name: "hello", description: "h" }] },
      );
      const { interactionId, token } = await new EmulatorClient(emu.url).invokeSlash({
        guildId: guild.id,
        channelId: guild.channels.general,
        userId: emu.seeded!.users.member,
        name: "hello",
      });
      const answer = (fence: EffectFence, type: number) =>
        effectFence.run(
          fence,
          () => unwrapFenced(bot.rest.sendInteractionResponse(interactionId, token, { type })),
        );
      const followUp = (fence: EffectFence) =>
        effectFence.run(
          fence,
          () => unwrapFenced(bot.rest.sendFollowupMessage(token, { content: "more" })),
        );
      // The helper calls `makeRequest` in the fenced call's context: the fence rides along and
      // is checked just before the send (the callback skips Discordeno's queues).
      const lapsed: EffectFence = {
        check() {
          throw new EffectFenced("lost the partition");
        },
      };
      await assert.rejects(answer(lapsed, 5), EffectFenced);
      await assert.rejects(followUp(lapsed), EffectFenced);
      const record = emu.state.interactions.get(interactionId)!;
      assert.equal(record.responseType, null, "no acknowledgement reached Discord");
      assert.equal(record.responses.length, 0);
      await answer({ check() {} }, 5);
      await followUp({ check() {} }); // its bucket's queue got the refused one's slot back
      assert.deepEqual(record.responses.map((r) => r.kind), ["callback", "followup"]);
    }),
});

Deno.test("isFencedCall: every protocol operation is fenced unless allowlisted as read-only", () => {
  for (const op of OPERATION_NAMES) {
    if (op === "fetch") continue;
    assert.equal(isFencedCall(op, {}), !READ_ONLY_OPERATIONS.has(op), op);
  }
  // A read-only entry names a real operation (a typo would fence nothing it meant to free).
  for (const op of READ_ONLY_OPERATIONS) assert.ok(OPERATION_NAMES.includes(op), op);
});
