import assert from "node:assert/strict";
import { eventsDone } from "../sandbox/protocol/mod.ts";
import { GuildUsage } from "./guild_usage.ts";
import { chargeBatch, chargeOperation } from "./usage_charges.ts";

const GUILD = "100000000000000001";

Deno.test("chargeBatch counts events, errors and the CPU grown since the last report", () => {
  const usage = new GuildUsage();
  const key = { guildId: GUILD, deploymentId: "d1" };
  const batch = (cpuMs?: number) => eventsDone(key, [1, 2], [{}, { error: "boom" }], cpuMs);
  let cpu = chargeBatch(usage, GUILD, batch(40), 0);
  assert.equal(cpu, 40);
  cpu = chargeBatch(usage, GUILD, batch(), cpu);
  assert.equal(cpu, 40, "no CPU figure: the last one stays");
  cpu = chargeBatch(usage, GUILD, batch(55), cpu);
  assert.equal(cpu, 55);
  const totals = usage.report(GUILD).totals;
  assert.equal(totals.eventsHandled, 6);
  assert.equal(totals.errors, 3);
  assert.equal(totals.cpuMs, 55);
});

Deno.test("chargeOperation counts KV operations and Discord calls, not fetches", () => {
  const usage = new GuildUsage();
  chargeOperation(usage, GUILD, "kv.get");
  chargeOperation(usage, GUILD, "message.send");
  chargeOperation(usage, GUILD, "fetch");
  const totals = usage.report(GUILD).totals;
  assert.equal(totals.kvOps, 1);
  assert.equal(totals.discordCalls, 1);
});
