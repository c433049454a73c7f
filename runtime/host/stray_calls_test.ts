import assert from "node:assert/strict";
import type { EffectTenure, QueuedEvent } from "./guild_queue.ts";
import { GuildWorker } from "./guild_worker.ts";
import { STRAY_OUTCOME, strayTenure } from "./stray_calls.ts";
import { testDeployment } from "./test_fixtures.ts";

/** A tenure of `partition` that acts while `held.value`, counting its refusals. */
function tenureOf(partition: number, held: { value: boolean }) {
  const tenure = {
    partition,
    mayAct: () => held.value,
    refusals: 0,
    fenced: () => tenure.refusals++,
  };
  return tenure;
}

function worker(): GuildWorker {
  return new GuildWorker({ guildId: "1", deploymentId: "d1" }, testDeployment("1", "d1", ""), 0, {
    holdsQueue: false,
  });
}

const event = (fields: Partial<QueuedEvent>): QueuedEvent => ({
  name: "messageCreate",
  payload: undefined,
  receivedAt: 0,
  ...fields,
});

Deno.test("strayTenure: nothing fenced on a node that fences nothing, nor while the script loads", () => {
  const w = worker();
  const current = () => tenureOf(0, { value: false });
  assert.equal(strayTenure(w, undefined), undefined, "a single process, an api node");
  assert.equal(strayTenure(w, current), undefined, "a deploy's top-level calls");
  w.markLoaded([]);
  assert.equal(strayTenure(w, current)?.mayAct(), false, "loaded: fenced");
});

Deno.test("strayTenure: the node's tenure now before any event, then the latest event's", () => {
  const w = worker();
  w.markLoaded([]);
  w.serve();
  const now = { value: true };
  let asked = 0;
  const current = (guildId: string): EffectTenure => {
    assert.equal(guildId, "1");
    asked++;
    return tenureOf(7, now);
  };
  assert.equal(strayTenure(w, current)?.partition, 7);
  assert.equal(asked, 1);

  const first = { value: true };
  const latest = { value: true };
  // A cron run's tenure, then a bus event's, then one without (a `ready`): the bus event's holds.
  w.delivered([event({ tenure: tenureOf(3, first) })]);
  w.delivered([
    event({
      handover: {
        ...tenureOf(3, latest),
        id: "s:1",
        mayHaveRun: false,
        mayStart: () => true,
        withdrawn() {},
      },
    }),
    event({}),
  ]);
  const stray = strayTenure(w, current)!;
  assert.equal(asked, 1, "the node's tenure now is not asked once the worker had an event");
  assert.equal(stray.partition, 3);
  first.value = false;
  assert.equal(stray.mayAct(), true, "the latest event's tenure, not the first");
  latest.value = false;
  assert.equal(stray.mayAct(), false);
  assert.equal(stray.outcome, STRAY_OUTCOME);
});

Deno.test("strayTenure: a refused call marks no event", () => {
  const w = worker();
  w.markLoaded([]);
  let refusals = 0;
  w.delivered([event({ tenure: { partition: 2, mayAct: () => false, fenced: () => refusals++ } })]);
  const stray = strayTenure(w, () => tenureOf(2, { value: true }))!;
  assert.equal(stray.mayAct(), false, "the event's tenure lapsed");
  stray.fenced();
  assert.equal(refusals, 0, "the event it was sent under is left alone");
});
