import assert from "node:assert/strict";
import { LeaseSlots } from "./lease_slots.ts";
import type { Lease } from "./leases.ts";

const lease = (token: number, expiresAt: number, lapses = 0): Lease => ({
  name: "shard.0",
  holder: "a",
  token,
  revision: token,
  expiresAt,
  lapses,
});

Deno.test("LeaseSlots: a tenure's renewals are read through another view of the buffer", () => {
  const main = new LeaseSlots(2);
  const worker = new LeaseSlots(main.buffer);
  assert.equal(worker.capacity, 2);
  assert.equal(main.read(1, 7), null, "nothing begun");
  worker.begin(1, lease(7, 1_000));
  assert.deepEqual(main.read(1, 7), { expiresAt: 1_000, revision: 7, lapses: 0 });
  worker.renewed(1, { ...lease(7, 2_000, 1), revision: 9 });
  assert.deepEqual(main.read(1, 7), { expiresAt: 2_000, revision: 9, lapses: 1 });
  assert.equal(main.read(0, 7), null, "other slots untouched");
});

Deno.test("LeaseSlots: an ended tenure, or another tenure in the slot, reads as none", () => {
  const slots = new LeaseSlots(1);
  slots.begin(0, lease(7, 1_000));
  slots.end(0);
  assert.equal(slots.read(0, 7), null, "ended, whatever its expiry");
  slots.renewed(0, lease(7, 5_000));
  assert.equal(slots.read(0, 7), null, "a late renewal does not revive it");
  slots.begin(0, lease(12, 9_000));
  assert.equal(slots.read(0, 7), null, "the earlier tenure's token reads nothing of the next");
  assert.equal(slots.read(0, 12)?.expiresAt, 9_000);
});

Deno.test("LeaseSlots refuses a bad capacity or slot, saying which", () => {
  assert.throws(() => new LeaseSlots(0), /capacity must be a positive integer \(got 0\)/);
  assert.throws(() => new LeaseSlots(2).read(2, 1), /slot 2 is outside 0..1/);
});
