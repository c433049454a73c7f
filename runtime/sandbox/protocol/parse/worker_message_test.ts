import assert from "node:assert/strict";
import { parseOperationArgs, parseWorkerMessage, PROTOCOL_VERSION } from "../mod.ts";

Deno.test("parseWorkerMessage accepts each well-formed message", () => {
  const v = PROTOCOL_VERSION;
  for (
    const message of [
      { v, type: "loaded", commands: [{ name: "ping", description: "d", type: 1 }] },
      { v, type: "loadFailed", error: "boom" },
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

Deno.test("parseWorkerMessage rejects forged or malformed messages with a reason", () => {
  const v = PROTOCOL_VERSION;
  const cases: [unknown, RegExp][] = [
    [null, /expected an object/],
    [{ v: 1, type: "log", level: "info", message: "x" }, /protocol version/],
    [{ v: 2, type: "log", level: "info", message: "x" }, /protocol version/],
    // A worker's `done` goes to its sandbox process, which reports what it accepted itself.
    [{ v, type: "done", events: [{ id: 1 }] }, /unknown message type/],
    [{ v, type: "exec", code: "x" }, /unknown message type/],
    [{ v, type: "call", callId: 1, op: "guild.delete", args: {} }, /unknown operation/],
    [{ v, type: "call", callId: -1, op: "message.send", args: {} }, /callId/],
    [{ v, type: "call", callId: 1, op: "kv.set", args: {}, event: "x" }, /message\.event/],
    [{ v, type: "log", level: "fatal", message: "x" }, /level/],
    [{ v, type: "loaded", commands: [{ name: "", description: "d", type: 1 }] }, /name/],
    [{ v, type: "loaded", commands: "all" }, /commands/],
  ];
  for (const [message, reason] of cases) {
    const parsed = parseWorkerMessage(message);
    assert.equal(parsed.ok, false, JSON.stringify(message));
    if (!parsed.ok) assert.match(parsed.error, reason);
  }
});

Deno.test("parseWorkerMessage truncates oversized log lines", () => {
  const parsed = parseWorkerMessage({
    v: PROTOCOL_VERSION,
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
