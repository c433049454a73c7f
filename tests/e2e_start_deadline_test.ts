/**
 * The host as a process, started against a Redis that accepts connections
 * and never answers: it gives up with a message naming Redis instead of
 * hanging without a word.
 */

import assert from "node:assert/strict";
import { silentListener } from "../storage/testing/servers.ts";
import { startFloraProcess } from "./helpers/flora_process.ts";

Deno.test({
  name: "flora exits naming Redis when REDIS_URL accepts and never answers",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const silent = silentListener();
    try {
      const url = `redis://127.0.0.1:${silent.port}`;
      const error = await startFloraProcess({ env: { REDIS_URL: url } }).then(
        async (flora) => {
          await flora.stop();
          return null;
        },
        (e: Error) => e,
      );
      assert.ok(error, "flora started without Redis");
      assert.match(error.message, /flora exited during start/);
      assert.ok(
        error.message.includes(`flora: could not start: Redis at ${url}: no answer in 5 s`),
        error.message,
      );
    } finally {
      await silent.close();
    }
  },
});
