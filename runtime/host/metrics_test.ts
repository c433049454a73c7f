import assert from "node:assert/strict";
import { FloraMetrics, Histogram } from "./metrics.ts";

Deno.test("metrics render as Prometheus text with labels, buckets and gauges", () => {
  const metrics = new FloraMetrics();
  metrics.eventsIn.inc("messageCreate", 3);
  metrics.eventsIn.inc("interactionCreate");
  metrics.eventsDropped.inc("messageCreate");
  metrics.dispatchLatency.observe(0.0003);
  metrics.dispatchLatency.observe(0.02);
  metrics.gauge("flora_workers_resident", "Resident workers.", () => 7);
  const text = metrics.render();
  assert.match(text, /^# TYPE flora_events_in_total counter$/m);
  assert.match(text, /^flora_events_in_total\{type="messageCreate"\} 3$/m);
  assert.match(text, /^flora_events_in_total\{type="interactionCreate"\} 1$/m);
  assert.match(text, /^flora_events_dropped_total\{type="messageCreate"\} 1$/m);
  assert.match(text, /^flora_dispatch_latency_seconds_bucket\{le="0.00025"\} 0$/m);
  assert.match(text, /^flora_dispatch_latency_seconds_bucket\{le="0.0005"\} 1$/m);
  assert.match(text, /^flora_dispatch_latency_seconds_bucket\{le="\+Inf"\} 2$/m);
  assert.match(text, /^flora_dispatch_latency_seconds_count 2$/m);
  assert.match(text, /^flora_workers_resident 7$/m);
  assert.match(text, /^flora_cold_starts_total 0$/m);
  assert.ok(text.endsWith("\n"));
});

Deno.test("histogram buckets are cumulative and label values are escaped", () => {
  const h = new Histogram("x_seconds", "x", [1, 2]);
  h.observe(0.5);
  h.observe(1.5);
  h.observe(5);
  assert.match(h.render(), /x_seconds_bucket\{le="1"\} 1\nx_seconds_bucket\{le="2"\} 2\n/);
  assert.match(h.render(), /x_seconds_bucket\{le="\+Inf"\} 3/);
  const metrics = new FloraMetrics();
  metrics.restCalls.inc('a"b\\c');
  assert.match(metrics.render(), /flora_rest_calls_total\{op="a\\"b\\\\c"\} 1/);
});
