/**
 * A worker stopped by its watchdog while its cluster node lost the running
 * bus event's partition (the node was paused past its lease): the guild's log
 * says the node lost the guild, the stop is not counted against the script,
 * and the event is left to the partition's next owner. A stop with the lease
 * held is the script's, as on one machine.
 */

import assert from "node:assert/strict";
import type { Handover } from "./guild_queue.ts";
import {
  messagePayload,
  RecordingExecutor,
  testDeployment,
  until,
  withSandboxes,
} from "./test_fixtures.ts";

const GUILD = "100000000000000001";

/** Reads once (so the test sees it started), then outlives its 500 ms budget. */
const SLOW = `on("messageCreate", async () => {
  await kv("counts").get("seen");
  await new Promise((resolve) => setTimeout(resolve, 5_000));
});`;

/** Runs one bus event past its budget; the lease lapses once it started unless `holds`. */
async function stopMidEvent(holds: boolean) {
  const executor = new RecordingExecutor();
  const failures: string[] = [];
  let leaseHeld = true;
  const told = { fenced: 0, settled: 0 };
  const handover: Handover = {
    id: "s:1",
    partition: 3,
    mayHaveRun: false,
    mayStart: () => leaseHeld,
    mayAct: () => leaseHeld,
    fenced: () => told.fenced++,
    withdrawn: () => assert.fail("the event started: it cannot be withdrawn"),
  };
  let lines: string[] = [];
  await withSandboxes(executor, {
    pool: { limits: { eventTimeoutMs: 500, loadTimeoutMs: 5_000 } },
    hooks: {
      onWorkerFailure: (_deployment, reason) => {
        failures.push(reason);
        return null;
      },
    },
  }, async (manager, _pool, logs) => {
    manager.register(testDeployment(GUILD, "d1", SLOW));
    manager.deliver(
      GUILD,
      "messageCreate",
      messagePayload(GUILD, "!slow"),
      () => told.settled++,
      undefined,
      handover,
    );
    await until("the handler started", () => executor.calls.length === 1);
    leaseHeld = holds; // e.g. the node was paused (SIGSTOP) past its lease meanwhile
    await until("the stop was handled", () => told.settled === 1);
    lines = logs.recent(GUILD).map((line) => line.message);
  });
  return { failures, told, lines };
}

Deno.test("a worker stopped after its node lost the event's partition: the node's doing, logged", async () => {
  const { failures, told, lines } = await stopMidEvent(false);
  const stop = lines.filter((line) => line.includes("was stopped"));
  assert.equal(stop.length, 1, lines.join("\n"));
  assert.match(
    stop[0],
    /^flora: the script was stopped \(timeout\): the messageCreate handler ran longer than 500 ms; this node lost guild 100000000000000001's partition 3 meanwhile \(its lease lapsed: the node was paused or cut off from the cluster\), so the event runs on its next owner and this stop does not count against the script$/,
  );
  assert.deepEqual(failures, [], "not counted toward a crash loop");
  assert.equal(told.fenced, 1, "left unmarked and unacked, for the next owner");
});

Deno.test("a worker stopped with its node's lease held: the script's stop, as on one machine", async () => {
  const { failures, told, lines } = await stopMidEvent(true);
  assert.ok(
    lines.some((line) =>
      /^flora: the script was stopped \(timeout\): .*; it restarts with the next event$/.test(line)
    ),
    lines.join("\n"),
  );
  assert.ok(!lines.some((line) => line.includes("lost guild")), lines.join("\n"));
  assert.deepEqual(failures, ["timeout"]);
  assert.equal(told.fenced, 0, "finished: marked and acked");
});
