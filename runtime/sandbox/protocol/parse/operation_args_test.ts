import assert from "node:assert/strict";
import {
  OPERATION_NAMES,
  parseOperationArgs,
  parseWorkerMessage,
  PROTOCOL_VERSION,
} from "../mod.ts";

Deno.test("every operation has a parser, and good arguments pass through", () => {
  const samples: Record<string, unknown> = {
    "message.edit": { channelId: "1", messageId: "2", data: { content: "x" } },
    "reaction.add": { channelId: "1", messageId: "2", emoji: "👍" },
    "thread.create": { channelId: "1", name: "t", autoArchiveDuration: 60 },
    "member.timeout": { userId: "3", until: "2030-01-01T00:00:00Z" },
    "kv.set": { store: "s", key: "k", value: { a: [1, null] }, ttlMs: 5 },
    "kv.compareAndSet": { store: "s", key: "k", expectedVersion: null, value: 1 },
    "role.list": {},
  };
  for (const op of OPERATION_NAMES) {
    const result = parseOperationArgs(op, samples[op] ?? {});
    assert.ok(result.ok || !result.error.includes("is not a function"), op);
  }
  for (const [op, args] of Object.entries(samples)) {
    const result = parseOperationArgs(op as never, args);
    assert.ok(result.ok, `${op}: ${!result.ok && result.error}`);
  }
});

Deno.test("bad operation arguments are refused with where and why", () => {
  const refuse = (op: string, args: unknown, pattern: RegExp) => {
    const result = parseOperationArgs(op as never, args);
    assert.ok(!result.ok, op);
    assert.match(result.error, pattern);
  };
  refuse(
    "message.edit",
    { channelId: "x", messageId: "2", data: {} },
    /args\.channelId: expected a snowflake id/,
  );
  refuse("reaction.add", { channelId: "1", messageId: "2", emoji: "a/b" }, /args\.emoji/);
  refuse("message.list", { channelId: "1", limit: 500 }, /args\.limit: must be 1–100/);
  refuse(
    "thread.create",
    { channelId: "1", name: "t", autoArchiveDuration: 5 },
    /60, 1440, 4320 or 10080/,
  );
  refuse("member.timeout", { userId: "1", until: "tomorrow" }, /ISO 8601/);
  refuse("member.ban", { userId: "1", deleteMessageSeconds: 10 ** 7 }, /0–604800/);
  refuse("kv.set", { store: "flora.cron", key: "k", value: 1 }, /reserved/);
  refuse("kv.set", { store: "s", key: "k", value: Infinity }, /numbers must be finite/);
  refuse("kv.increment", { store: "s", key: "k", by: "1" }, /args\.by: expected a number/);
});

Deno.test("loaded messages carry the script's cron jobs, checked", () => {
  const ok = parseWorkerMessage({
    v: PROTOCOL_VERSION,
    type: "loaded",
    commands: [],
    crons: [{ name: "a", schedule: "*/5 * * * *", skipIfRunning: true }],
  });
  assert.ok(ok.ok && ok.message.type === "loaded");
  assert.deepEqual(ok.ok && ok.message.type === "loaded" && ok.message.crons, [
    { name: "a", schedule: "*/5 * * * *", skipIfRunning: true },
  ]);
  const bad = parseWorkerMessage({
    v: PROTOCOL_VERSION,
    type: "loaded",
    commands: [],
    crons: [{ name: "a", schedule: "* *" }],
  });
  assert.ok(!bad.ok && /five cron fields/.test(bad.error));
});

Deno.test("fetch arguments: methods, headers, base64 bodies and redirect modes are checked", () => {
  const good = {
    url: "https://api.example.com/x",
    method: "POST",
    headers: [["content-type", "application/json"]],
    body: btoa("{}"),
    redirect: "manual",
  };
  assert.ok(parseOperationArgs("fetch", good).ok);
  const refuse = (args: Record<string, unknown>, pattern: RegExp) => {
    const result = parseOperationArgs("fetch", { ...good, ...args });
    assert.ok(!result.ok, JSON.stringify(args));
    assert.match(result.error, pattern);
  };
  refuse({ method: "GET / HTTP/1.1" }, /args\.method: expected an HTTP method/);
  refuse({ headers: [["x", "a\r\nHost: evil"]] }, /CR, LF or NUL/);
  refuse({ headers: [["bad name", "v"]] }, /expected a header name/);
  refuse({ headers: "x" }, /args\.headers/);
  refuse({ body: "not base64!" }, /args\.body: expected base64/);
  refuse({ redirect: "sometimes" }, /follow, manual or error/);
  refuse({ url: "" }, /args\.url/);
});
