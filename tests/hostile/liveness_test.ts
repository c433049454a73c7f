/**
 * Liveness seen from outside: a sandbox process that stops answering
 * (here a real SIGSTOP, as a script with `process.kill` once could send) is
 * noticed by the host within seconds, killed and replaced, and the events
 * its guilds were waiting for are delivered in the new process. Nobody is
 * blamed or suspended for it, and the other process never stopped serving.
 */

import assert from "node:assert/strict";
import { type Arena, HEALTHY, openArena } from "./arena.ts";

Deno.test({
  name: "a stopped sandbox process is killed and replaced; its guilds' events are redelivered",
  ignore: Deno.build.os === "windows",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const arena: Arena = await openArena({ FLORA_SANDBOX_LIVENESS_MS: "2000" });
    try {
      const [first, second, remote] = arena.guilds;
      for (const g of arena.guilds) assert.equal((await arena.deploy(g, HEALTHY)).status, "active");
      await arena.assertAnswers(first);
      const pid = arena.flora.pool.pids()[first.process]!;

      Deno.kill(pid, "SIGSTOP");
      const stoppedAt = performance.now();
      // Sent while the process is frozen: held, then delivered to the replacement.
      const answers = Promise.all([arena.ask(first, "!ping"), arena.ask(second, "!ping")]);
      await arena.assertAnswers(remote); // the other process never stopped
      assert.deepEqual(await answers, ["pong", "pong"]);
      const recoveredMs = performance.now() - stoppedAt;
      // 2 s of silence, then a standby takes over (generous: this machine is shared).
      assert.ok(recoveredMs < 15_000, `recovered after ${Math.round(recoveredMs)} ms`);

      assert.notEqual(arena.flora.pool.pids()[first.process], pid, "the process was replaced");
      assert.throws(() => Deno.kill(pid, "SIGCONT"), "the stopped process is gone");
      const line = await arena.waitForLog(first, /stopped answering/);
      assert.match(line, /stopped \(process\).*stopped answering for \d+ ms/);
      for (const g of [first, second]) assert.equal((await arena.current(g))?.status, "active");
    } finally {
      await arena.close();
    }
  },
});
