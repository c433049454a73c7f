import assert from "node:assert/strict";
import { BackendUnavailableError, redactUrl } from "./backend_deadline.ts";
import { openStorage } from "./config.ts";
import { silentListener } from "./testing/servers.ts";

/** A port nothing listens on. */
function refusedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

async function withDataDir(fn: (dataDir: string) => Promise<void>) {
  const dataDir = await Deno.makeTempDir({ prefix: "flora-deadline-" });
  try {
    await fn(dataDir);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
}

const KEY = btoa(String.fromCharCode(...new Uint8Array(32)));

for (
  const [backend, url] of [
    ["Redis", (port: number) => ({ redisUrl: `redis://127.0.0.1:${port}` })],
    ["PostgreSQL", (port: number) => ({
      databaseUrl: `postgres://flora:secret@127.0.0.1:${port}/flora`,
      secretsKey: KEY,
    })],
  ] as const
) {
  Deno.test({
    name: `openStorage gives up on a ${backend} that accepts and never answers, naming it`,
    sanitizeOps: false,
    async fn() {
      const silent = silentListener();
      try {
        await withDataDir(async (dataDir) => {
          const error = await openStorage({ dataDir, ...url(silent.port) }, {
            connectTimeoutMs: 1_000,
          }).then(() => null, (e) => e);
          assert.ok(error instanceof BackendUnavailableError, String(error));
          assert.match(
            error.message,
            new RegExp(
              `^${backend} at \\w+://[^ ]*127\\.0\\.0\\.1:${silent.port}.*: no answer in 1 s$`,
            ),
          );
          assert.doesNotMatch(error.message, /secret/, "the password is not shown");
        });
      } finally {
        await silent.close();
      }
    },
  });

  Deno.test({
    name: `openStorage names ${backend} when its port refuses the connection`,
    sanitizeOps: false,
    async fn() {
      const port = refusedPort();
      await withDataDir(async (dataDir) => {
        const error = await openStorage({ dataDir, ...url(port) }, { connectTimeoutMs: 10_000 })
          .then(() => null, (e) => e);
        assert.ok(error instanceof BackendUnavailableError, String(error));
        assert.match(error.message, new RegExp(`^${backend} at .*127\\.0\\.0\\.1:${port}.*: .+`));
        assert.doesNotMatch(error.message, /no answer/, "refused, not silent");
      });
    },
  });
}

Deno.test("redactUrl hides the password and keeps the rest", () => {
  assert.equal(
    redactUrl("postgres://flora:hunter2@db.internal:5432/flora"),
    "postgres://flora:***@db.internal:5432/flora",
  );
  assert.equal(redactUrl("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
});
