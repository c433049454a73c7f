import assert from "node:assert/strict";
import { renderGatewayMetrics, serveGatewayMetrics } from "./gateway_metrics.ts";

Deno.test("serveGatewayMetrics serves the gateway node's publish figures to the operator only", async () => {
  const stats = { published: 12, duplicates: 1, skipped: 3, failed: 0, retried: 2 };
  const starts = { resumed: 1, identified: 3, fenced: 4, held: 6 };
  const server = serveGatewayMetrics(() => renderGatewayMetrics(stats, 2, starts), {
    host: "127.0.0.1",
    port: 0,
    operatorToken: "operator-token-0123456789",
  });
  try {
    const url = `http://127.0.0.1:${server.port}`;
    const anonymous = await fetch(`${url}/metrics`);
    assert.equal(anonymous.status, 401);
    await anonymous.body?.cancel();
    const wrong = await fetch(`${url}/metrics`, { headers: { authorization: "Bearer nope" } });
    assert.equal(wrong.status, 403);
    await wrong.body?.cancel();

    stats.published++; // read at scrape time
    const response = await fetch(`${url}/metrics`, {
      headers: { authorization: "Bearer operator-token-0123456789" },
    });
    assert.equal(response.status, 200);
    const text = await response.text();
    assert.match(text, /^flora_gateway_events_total\{outcome="published"\} 13$/m);
    assert.match(text, /^flora_gateway_events_total\{outcome="duplicate"\} 1$/m);
    assert.match(text, /^flora_gateway_events_total\{outcome="skipped"\} 3$/m);
    assert.match(text, /^flora_gateway_events_total\{outcome="failed"\} 0$/m);
    assert.match(text, /^flora_gateway_events_total\{outcome="held"\} 6$/m);
    assert.match(text, /^flora_gateway_events_total\{outcome="fenced"\} 4$/m);
    assert.match(text, /^flora_gateway_shard_starts_total\{how="resumed"\} 1$/m);
    assert.match(text, /^flora_gateway_shard_starts_total\{how="identified"\} 3$/m);
    assert.match(text, /^flora_gateway_publish_retries_total 2$/m);
    assert.match(text, /^flora_gateway_shards 2$/m);
    const health = await fetch(`${url}/health`);
    assert.deepEqual(await health.json(), { ok: true, role: "gateway" });
  } finally {
    await server.close();
  }
});
