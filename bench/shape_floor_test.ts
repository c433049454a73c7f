import assert from "node:assert/strict";
import { startEmulatorProcess } from "./emulator_process.ts";
import { floorRoles, runShapeFloor } from "./shape_floor.ts";
import { createGuilds } from "../emulator/bench_world.ts";

Deno.test({
  name: "shape floor: a round ends once the guilds' workers parsed every event, in batches",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const emu = await startEmulatorProcess();
    try {
      const guilds = await createGuilds(emu.client, 3);
      const rounds = await runShapeFloor(emu, guilds, 300, 2);
      assert.equal(rounds.length, 2);
      for (const round of rounds) {
        assert.ok(round.eventsPerSec > 0);
        // At most one batch per event; a busy worker's next batch gathers what came meanwhile.
        assert.ok(round.perBatch >= 1, `${round.perBatch} events a batch`);
        const roles = floorRoles(round.threadCpuUsPerEvent);
        assert.equal(roles.sandboxes.main, 0);
        assert.equal(roles.host.workers, 0);
        assert.equal(roles.sandboxes.workers, round.threadCpuUsPerEvent.host.workers);
      }
    } finally {
      await emu.close();
    }
  },
});
