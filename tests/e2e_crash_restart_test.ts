/**
 * The host killed with SIGKILL mid-deploy, then started again, as an operator
 * would see it: flora runs as a process against an emulator in its own
 * process (which, like Discord, keeps running), through a proxy that can hold
 * Discord's answer to a command overwrite so the kill lands exactly there.
 */

import assert from "node:assert/strict";
import postgres from "postgres";
import { postgresGate, TEST_DATABASE_URL, uniqueName } from "../storage/testing/servers.ts";
import { EmulatorClient } from "../emulator/client.ts";
import { startEmulatorProcess } from "./helpers/emulator_process.ts";
import { startFloraProcess } from "./helpers/flora_process.ts";

const pg = await postgresGate();

/** Forwards to `target`; while `hold` is set, a command overwrite reaches it but is never answered. */
function startHoldingProxy(target: string) {
  let forwarded: (() => void) | null = null;
  const held = new AbortController();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    const upstream = await fetch(`${target}${url.pathname}${url.search}`, {
      method: req.method,
      headers: req.headers,
      body: req.body,
    });
    if (forwarded && req.method === "PUT" && url.pathname.endsWith("/commands")) {
      await upstream.body?.cancel();
      forwarded?.();
      // Discord has the new commands; the host never learns it did.
      await new Promise((resolve) => held.signal.addEventListener("abort", resolve));
      return new Response(null, { status: 503 });
    }
    return upstream;
  });
  return {
    /** The next command overwrite reaches the emulator but is never answered; resolves once it did. */
    holdNextOverwrite: () => new Promise<void>((resolve) => forwarded = resolve),
    /** Overwrites are answered again. */
    release: () => forwarded = null,
    url: `http://127.0.0.1:${server.addr.port}`,
    async close() {
      held.abort();
      await server.shutdown();
    },
  };
}

interface DeploymentSummary {
  id: string;
  revision: number;
  status: string;
  error?: string;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const slashBot = (name: string, topLevel = "") =>
  `${topLevel}
createBot({ slashCommands: [slash({ name: "${name}", description: "say ${name}", run: (c) => c.reply("${name}") })] });`;

async function crashScenario(
  env: Record<string, string>,
  scenario: (ctx: {
    guild: string;
    api: (path: string, init?: RequestInit) => Promise<Response>;
    deploy: (code: string) => Promise<Response>;
    commandNames: () => Promise<string[]>;
    proxy: ReturnType<typeof startHoldingProxy>;
    restart: () => Promise<void>;
    emulator: EmulatorClient;
  }) => Promise<void>,
) {
  const emulator = await startEmulatorProcess(["--heartbeat=30000"]);
  const client = new EmulatorClient(emulator.controlUrl);
  const proxy = startHoldingProxy(new URL(emulator.restBase).origin);
  const dataDir = await Deno.makeTempDir({ prefix: "flora-crash-" });
  const floraEnv = {
    DISCORD_TOKEN: emulator.token,
    DISCORD_API_URL: `${proxy.url}/api`,
    FLORA_OPERATOR_TOKEN: "crash-test-operator-token",
    FLORA_DEPLOY_LEASE_MS: "1500",
    FLORA_SANDBOX_PROCESSES: "1",
    ...env,
  };
  let flora = await startFloraProcess({ env: floraEnv, dataDir, keepDataDir: true });
  try {
    const guild = (await client.world()).guilds[0].id;
    const api = (path: string, init: RequestInit = {}) =>
      fetch(`${flora.info.apiUrl}${path}`, {
        ...init,
        headers: {
          authorization: "Bearer crash-test-operator-token",
          "content-type": "application/json",
        },
      });
    await scenario({
      guild,
      api,
      deploy: (code) =>
        api(`/deployments/${guild}`, {
          method: "POST",
          body: JSON.stringify({ entry: "main.ts", code }),
        }),
      commandNames: async () =>
        (await client.world()).guilds.find((g) => g.id === guild)!.commands
          .map((c) => c.name).sort(),
      proxy,
      restart: async () => {
        await flora.kill();
        flora = await startFloraProcess({ env: floraEnv, dataDir, keepDataDir: true });
      },
      emulator: client,
    });
  } finally {
    await flora.stop().catch(() => {});
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    await proxy.close();
    await emulator.stop();
  }
}

async function history(api: (path: string) => Promise<Response>, guild: string) {
  const body = await (await api(`/deployments/${guild}`)).json();
  return body.deployments as DeploymentSummary[];
}

async function interruptedWhileLoading(env: Record<string, string>) {
  await crashScenario(env, async ({ guild, api, deploy, restart }) => {
    assert.equal((await deploy(slashBot("one"))).status, 201);
    // A slow top level: the deploy is still loading when the host dies.
    deploy(slashBot("two", "await new Promise((r) => setTimeout(r, 8_000));")).then(
      (r) => r.body?.cancel(),
      () => {},
    );
    await until("the pending deploy", async () => {
      const list = await history(api, guild);
      return list.some((d) => d.status === "pending") ? true : undefined;
    });
    await new Promise((r) => setTimeout(r, 300));
    await restart();
    const settled = await until("the interrupted deploy to settle", async () => {
      const list = await history(api, guild);
      return list.every((d) => d.status !== "pending") ? list : undefined;
    });
    assert.deepEqual(settled.map((d) => [d.revision, d.status]), [[2, "failed"], [1, "active"]]);
    assert.match(settled[0].error ?? "", /interrupted: the host deploying it stopped/);
  });
}

Deno.test({
  name: "a deploy interrupted by kill -9 while loading is failed at the next start (embedded)",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () => interruptedWhileLoading({}),
});

Deno.test({
  name:
    `a deploy interrupted by kill -9 while loading is failed at the next start (PostgreSQL)${pg.note}`,
  ignore: pg.ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const schema = uniqueName("flora_crash");
    try {
      await interruptedWhileLoading({
        DATABASE_URL: TEST_DATABASE_URL,
        FLORA_POSTGRES_SCHEMA: schema,
        FLORA_SECRETS_KEY: btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32)))),
      });
    } finally {
      const sql = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
      await sql.unsafe(`drop schema if exists ${schema} cascade`);
      await sql.end();
    }
  },
});

Deno.test({
  name:
    "kill -9 between the command overwrite and the switch: after restart the commands match the live script",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await crashScenario(
      {},
      async ({ guild, api, deploy, commandNames, proxy, restart, emulator }) => {
        assert.equal((await deploy(slashBot("one"))).status, 201);
        assert.deepEqual(await commandNames(), ["one"]);
        const forwarded = proxy.holdNextOverwrite();
        deploy(slashBot("two")).then((r) => r.body?.cancel(), () => {});
        await forwarded;
        assert.deepEqual(await commandNames(), ["two"], "Discord took the new commands");
        await restart();
        proxy.release();
        const settled = await until("the interrupted deploy to settle", async () => {
          const list = await history(api, guild);
          return list.every((d) => d.status !== "pending") ? list : undefined;
        });
        // The switch was under way: the next start finishes it.
        assert.deepEqual(settled.map((d) => [d.revision, d.status]), [
          [2, "active"],
          [1, "superseded"],
        ]);
        await until(
          "Discord's commands to match the live script",
          async () => (await commandNames()).join() === "two" ? true : undefined,
        );
        // And the finished revision serves: its command answers.
        const world = (await emulator.world()).guilds.find((g) => g.id === guild)!;
        const { interactionId } = await emulator.invokeSlash({
          guildId: guild,
          channelId: world.channels[0].id,
          userId: world.members.find((m) => !m.bot)!.userId,
          name: "two",
        });
        const answer = await until("the answer", async () => {
          const view = await emulator.interaction(interactionId);
          return view.responses.length > 0 ? view.responses[0].body : undefined;
        });
        assert.equal((answer as { data?: { content?: string } }).data?.content, "two");
      },
    );
  },
});
