import assert from "node:assert/strict";
import { parseOperationArgs, parseWorkerMessage, PROTOCOL_VERSION } from "../mod.ts";

Deno.test("parseWorkerMessage accepts each well-formed message", () => {
  const v = PROTOCOL_VERSION;
  for (
    const message of [
      { v, type: "loaded", commands: [{ name: "ping", description: "d", type: 1 }] },
      { v, type: "loadFailed", error: "boom" },
      { v, type: "done", events: [{ id: 3 }] },
      { v, type: "done", events: [{ id: 6 }], cpuMs: 12.5 },
      { v, type: "done", events: [{ id: 4, error: "handler threw" }, { id: 5, startedAt: 1.5 }] },
      { v, type: "call", callId: 1, op: "message.send", args: {} },
      { v, type: "call", callId: 2, op: "kv.set", args: {}, event: 7 },
      { v, type: "log", level: "warn", message: "careful" },
    ]
  ) {
    const parsed = parseWorkerMessage(message);
    assert.ok(parsed.ok, JSON.stringify(parsed));
    assert.deepEqual(parsed.message, message);
  }
});

Deno.test("parseWorkerMessage keeps only the known fields of a finished event", () => {
  const message = { v: PROTOCOL_VERSION, type: "done", events: [{ id: 1, startedAt: 2, x: 3 }] };
  const parsed = parseWorkerMessage(message);
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.message, { ...message, events: [{ id: 1, startedAt: 2 }] });
});

Deno.test("parseWorkerMessage rejects forged or malformed messages with a reason", () => {
  const cases: [unknown, RegExp][] = [
    [null, /expected an object/],
    [{ v: 1, type: "log", level: "info", message: "x" }, /protocol version/],
    [{ v: 2, type: "done", id: 3 }, /events/],
    [{ v: 2, type: "done", events: [] }, /events/],
    [{ v: 2, type: "done", events: [{ id: 1, startedAt: "soon" }] }, /startedAt/],
    [{ v: 2, type: "done", events: [{ id: 1, startedAt: Infinity }] }, /events\[0\]\.startedAt/],
    [{ v: 2, type: "done", events: [{ id: 1 }, { id: -1 }] }, /events\[1\]\.id/],
    [{ v: 2, type: "done", events: [{ id: 1.5 }] }, /events\[0\]\.id/],
    [{ v: 2, type: "done", events: [[]] }, /events\[0\]/],
    [{ v: 2, type: "done", events: [{ id: 1 }], cpuMs: -1 }, /message\.cpuMs/],
    [{ v: 2, type: "done", events: [{ id: 1 }], cpuMs: "lots" }, /message\.cpuMs/],
    [{ v: 2, type: "exec", code: "x" }, /unknown message type/],
    [{ v: 2, type: "call", callId: 1, op: "guild.delete", args: {} }, /unknown operation/],
    [{ v: 2, type: "call", callId: -1, op: "message.send", args: {} }, /callId/],
    [{ v: 2, type: "call", callId: 1, op: "kv.set", args: {}, event: "x" }, /message\.event/],
    [{ v: 2, type: "log", level: "fatal", message: "x" }, /level/],
    [{ v: 2, type: "loaded", commands: [{ name: "", description: "d", type: 1 }] }, /name/],
    [{ v: 2, type: "loaded", commands: "all" }, /commands/],
  ];
  for (const [message, reason] of cases) {
    const parsed = parseWorkerMessage(message);
    assert.equal(parsed.ok, false, JSON.stringify(message));
    if (!parsed.ok) assert.match(parsed.error, reason);
  }
});

Deno.test("parseWorkerMessage truncates oversized log lines", () => {
  const parsed = parseWorkerMessage({
    v: 2,
    type: "log",
    level: "info",
    message: "x".repeat(100_000),
  });
  assert.ok(parsed.ok && parsed.message.type === "log" && parsed.message.message.length === 8_192);
});

Deno.test("parseOperationArgs checks ids and shapes", () => {
  assert.ok(parseOperationArgs("message.send", { channelId: "123", data: { content: "x" } }).ok);
  const bad = parseOperationArgs("message.send", { channelId: "../guilds/1", data: {} });
  assert.ok(!bad.ok && /channelId: expected a snowflake id/.test(bad.error));
  const badType = parseOperationArgs("interaction.respond", { interactionId: "1", type: 1 });
  assert.ok(!badType.ok && /args.type/.test(badType.error));
});
