import assert from "node:assert/strict";
import { GuildUsage } from "./guild_usage.ts";

const A = "81384788765712384";
const B = "81384788765712385";
const HOUR = 3_600_000;

Deno.test("GuildUsage reports 24 hourly buckets, oldest first, the current hour last", () => {
  let now = Date.UTC(2026, 0, 2, 10, 30);
  const usage = new GuildUsage({ now: () => now });
  usage.add(A, "eventsHandled", 2);
  now += HOUR;
  usage.add(A, "eventsHandled");
  usage.add(A, "cpuMs", 1.25);
  const report = usage.report(A);
  assert.equal(report.hours.length, 24);
  assert.equal(report.hours.at(-1)!.start, "2026-01-02T11:00:00.000Z");
  assert.equal(report.hours.at(-1)!.eventsHandled, 1);
  assert.equal(report.hours.at(-2)!.eventsHandled, 2);
  assert.equal(report.totals.eventsHandled, 3);
  assert.equal(report.totals.cpuMs, 1.25);
});

Deno.test("GuildUsage keeps each guild's figures apart", () => {
  const usage = new GuildUsage();
  usage.add(A, "discordCalls", 5);
  usage.add(B, "kvOps");
  assert.equal(usage.report(A).totals.discordCalls, 5);
  assert.equal(usage.report(A).totals.kvOps, 0);
  assert.equal(usage.report(B).totals.kvOps, 1);
  assert.equal(usage.report(B).totals.discordCalls, 0);
});

Deno.test("GuildUsage drops hours older than the window", () => {
  let now = Date.UTC(2026, 0, 2, 0, 0);
  const usage = new GuildUsage({ now: () => now });
  usage.add(A, "errors");
  now += 24 * HOUR;
  usage.add(A, "restarts");
  const report = usage.report(A);
  assert.equal(report.totals.errors, 0);
  assert.equal(report.totals.restarts, 1);
});

Deno.test("GuildUsage ignores negative and non-finite amounts", () => {
  const usage = new GuildUsage();
  usage.add(A, "cpuMs", -4);
  usage.add(A, "cpuMs", Number.NaN);
  usage.add(A, "cpuMs", Infinity);
  assert.equal(usage.report(A).totals.cpuMs, 0);
});

Deno.test("GuildUsage rejects a window that is not a whole number of hours", () => {
  assert.throws(() => new GuildUsage({ hours: 0 }), /hours: expected a whole number/);
  assert.throws(() => new GuildUsage({ hours: 1.5 }), /hours/);
});
