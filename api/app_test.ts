import assert from "node:assert/strict";
import { embeddedStorageOn } from "../storage/embedded/open.ts";
import type { NewDeployment } from "../storage/types.ts";
import { createApi } from "./app.ts";

const TOKEN = "operator-token-for-tests";
const GUILD = "100000000000000001";

async function withApi(
  fn: (
    request: (path: string, init?: RequestInit) => Promise<Response>,
    deployed: NewDeployment[],
  ) => Promise<void>,
) {
  const storage = embeddedStorageOn(await Deno.openKv(":memory:"));
  const deployed: NewDeployment[] = [];
  const app = createApi({
    deployments: storage.deployments,
    operatorToken: TOKEN,
    maxBundleBytes: 1024,
    deployer: {
      // Stores and activates, as the runtime's deployer does for a script that loads.
      async deploy(input) {
        deployed.push(input);
        const d = await storage.deployments.create(input);
        return await storage.deployments.setStatus(d.id, "active");
      },
    },
  });
  try {
    await fn((path, init) => Promise.resolve(app.request(path, init)), deployed);
  } finally {
    storage.close();
  }
}

const auth = { authorization: `Bearer ${TOKEN}` };

Deno.test("deployment routes need the operator token", async () => {
  await withApi(async (request) => {
    const none = await request(`/deployments/${GUILD}/current`);
    assert.equal(none.status, 401);
    assert.match((await none.json()).error.message, /Authorization: Bearer/);
    const wrong = await request(`/deployments/${GUILD}/current`, {
      headers: { authorization: "Bearer nope" },
    });
    assert.equal(wrong.status, 401);
    assert.equal((await wrong.json()).error.code, "unauthorized");
  });
});

Deno.test("bad deploy input gets a 4xx that says what to fix, and deploys nothing", async () => {
  await withApi(async (request, deployed) => {
    const post = (guild: string, body: string) =>
      request(`/deployments/${guild}`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body,
      });
    const cases: [Response, number, RegExp][] = [
      [await post("abc", "{}"), 400, /guild must be a Discord id/],
      [await post(GUILD, "{not json"), 400, /body must be JSON/],
      [await post(GUILD, JSON.stringify({ entry: "main.ts" })), 400, /code/],
      [await post(GUILD, JSON.stringify({ entry: "main.ts", code: "x", extra: 1 })), 400, /extra/],
      [
        await post(GUILD, JSON.stringify({ entry: "main.ts", code: "x".repeat(2000) })),
        413,
        /limit is 1024/,
      ],
      [await post(GUILD, "x".repeat(5000)), 413, /larger than/],
    ];
    for (const [response, status, message] of cases) {
      assert.equal(response.status, status);
      const body = await response.json();
      assert.match(body.error.message, message);
    }
    assert.equal(deployed.length, 0);
  });
});

Deno.test("a deploy is stored and readable as the current deployment", async () => {
  await withApi(async (request) => {
    const missing = await request(`/deployments/${GUILD}/current`, { headers: auth });
    assert.equal(missing.status, 404);
    const created = await request(`/deployments/${GUILD}`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ entry: "main.ts", code: "createBot({})" }),
    });
    assert.equal(created.status, 201);
    const { deployment } = await created.json();
    assert.equal(deployment.status, "active");
    assert.equal(deployment.revision, 1);
    assert.equal(deployment.code, undefined, "bundles are not echoed back");
    const current = await (await request(`/deployments/${GUILD}/current`, { headers: auth }))
      .json();
    assert.equal(current.deployment.id, deployment.id);
    const history = await (await request(`/deployments/${GUILD}?limit=5`, { headers: auth }))
      .json();
    assert.equal(history.deployments.length, 1);
    const badLimit = await request(`/deployments/${GUILD}?limit=0`, { headers: auth });
    assert.equal(badLimit.status, 400);
  });
});

Deno.test("unknown routes get a JSON 404 and responses carry a request id", async () => {
  await withApi(async (request) => {
    const response = await request("/nope");
    assert.equal(response.status, 404);
    assert.ok(response.headers.get("x-request-id"));
    assert.equal((await response.json()).error.code, "not_found");
  });
});
