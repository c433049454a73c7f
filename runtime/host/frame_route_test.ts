import assert from "node:assert/strict";
import { frameRoute } from "./frame_route.ts";

const GUILD_A = "1180000000000000004";
const GUILD_B = "1180000000000000777";

/** A MESSAGE_CREATE frame as Discord orders it, around `d`. */
function discordFrame(d: unknown, s = 42): string {
  return JSON.stringify({ t: "MESSAGE_CREATE", s, op: 0, d });
}

/** The routing JSON.parse gives: what the scan must agree with whenever it answers. */
function parsedRoute(frame: string) {
  const p = JSON.parse(frame) as { op: number; t: unknown; s: unknown; d: unknown };
  const d = p.d as { guild_id?: unknown } | null;
  return {
    op: p.op,
    t: p.t,
    s: p.s,
    guildId: typeof d === "object" && d !== null && !Array.isArray(d) ? d.guild_id : undefined,
  };
}

Deno.test("frameRoute reads a dispatch's name, sequence and guild in either key order", () => {
  const d = { id: "5", content: "hi", guild_id: GUILD_A };
  assert.deepEqual(frameRoute(discordFrame(d, 7)), { t: "MESSAGE_CREATE", s: 7, guildId: GUILD_A });
  // The emulator's order: d first.
  const emulator = JSON.stringify({ op: 0, d, s: 8, t: "MESSAGE_REACTION_ADD" });
  assert.deepEqual(frameRoute(emulator), { t: "MESSAGE_REACTION_ADD", s: 8, guildId: GUILD_A });
  assert.deepEqual(frameRoute(discordFrame({ id: "5" })), {
    t: "MESSAGE_CREATE",
    s: 42,
    guildId: undefined,
  });
});

Deno.test("frameRoute never takes another guild's id from inside a message (two guilds)", () => {
  const hostile = [
    // Typed by a user: the text of a key, quotes escaped by JSON.
    { content: `"guild_id":"${GUILD_B}"`, guild_id: GUILD_A },
    { content: `\\","guild_id":"${GUILD_B}`, guild_id: GUILD_A },
    { content: `}},"d":{"guild_id":"${GUILD_B}"}}`, guild_id: GUILD_A },
    { content: `\\\\"guild_id\\\\":"${GUILD_B}"{[`, guild_id: GUILD_A },
    // Nested: a reply to, or a forward of, another guild's message.
    { message_reference: { guild_id: GUILD_B, channel_id: "1" }, guild_id: GUILD_A },
    { referenced_message: { guild_id: GUILD_B, id: "2" }, guild_id: GUILD_A },
    { message_snapshots: [{ message: { guild_id: GUILD_B } }], guild_id: GUILD_A },
    { guild_id: GUILD_A, nested: [[{ guild_id: GUILD_B }]] },
  ];
  for (const d of hostile) {
    const frame = discordFrame(d);
    assert.equal(frameRoute(frame)?.guildId, GUILD_A, frame);
  }
  // No guild of its own (a direct message forwarding a guild's message): no guild.
  const dm = discordFrame({ message_reference: { guild_id: GUILD_B }, content: "x" });
  assert.equal(frameRoute(dm)?.guildId, undefined);
});

Deno.test("frameRoute answers null for what it cannot read with certainty", () => {
  const cases = [
    '{"op":11,"d":null}', // not a dispatch
    '{"t":null,"s":null,"op":10,"d":{"heartbeat_interval":41250}}',
    `{"t":"MESSAGE_CREATE","s":1,"op":1,"d":{"guild_id":"${GUILD_A}"}}`, // op not 0
    `{"t":"MESSAGE_CREATE","op":0,"d":{"guild_id":"${GUILD_A}"}}`, // no s
    `{"t":"MESSAGE_CREATE","s":1.5,"op":0,"d":{"guild_id":"${GUILD_A}"}}`,
    `{"t":"MESSAGE_CREATE","s":-1,"op":0,"d":{"guild_id":"${GUILD_A}"}}`,
    `{"t":"MESSAGE_CREATE","s":1,"op":0,"d":{"guild_id":"${GUILD_A}","guild_id":"${GUILD_B}"}}`,
    `{"t":"MESSAGE_CREATE","s":1,"op":0,"d":{"guild_id":"${GUILD_A}"},"d":{"guild_id":"${GUILD_B}"}}`,
    `{"t":"MESSAGE_CREATE","t":"X","s":1,"op":0,"d":{}}`,
    `{"t":"MESSAGE_CREATE","s":1,"op":0,"d":{"guild_id":"12a"}}`, // not a snowflake
    `{"t":"MESSAGE_CREATE","s":1,"op":0,"d":{"guild_id":12}}`,
    `{"t":"MESSAGE\\u005fCREATE","s":1,"op":0,"d":{"guild_id":"${GUILD_A}"}}`, // escaped name
    `{"t":"MESSAGE_CREATE","s":1,"op":0,"d":{"guild_id":"${GUILD_A}"}}{"op":0}`, // two values
    `{"t":"MESSAGE_CREATE","s":1,"op":0,"d":{"guild_id":"${GUILD_A}"}`, // unclosed
    `{"t":"MESSAGE_CREATE","s":1,"op":0,"d":{"content":"unclosed}}`,
    `[{"t":"MESSAGE_CREATE","s":1,"op":0,"d":{"guild_id":"${GUILD_A}"}}]`,
    // Whitespace: a key spaced from its colon would otherwise be read as a value.
    `{"t":"MESSAGE_CREATE","s":1,"op":0,"d":{"guild_id" :"${GUILD_A}"}}`,
    `{"t":"MESSAGE_CREATE","s":1,"op":0,"d" :{"guild_id":"${GUILD_B}"}}`,
    `{"t":"MESSAGE_CREATE","s":1,"op":0, "d":{"guild_id":"${GUILD_A}"}}`,
    `{"t":"MESSAGE_CREATE","s":1,"op":0,"d":{"guild_id":"${GUILD_A}"}\n}`,
    // Escaped keys: JSON.parse decodes them to `guild_id` / `d`, the scan does not.
    `{"t":"MESSAGE_CREATE","s":1,"op":0,"d":{"guild_id":"${GUILD_A}","guild\\u005fid":"${GUILD_B}"}}`,
    `{"t":"MESSAGE_CREATE","s":1,"op":0,"\\u0064":{"guild_id":"${GUILD_B}"}}`,
    "",
  ];
  for (const frame of cases) assert.equal(frameRoute(frame), null, frame);
});

Deno.test("frameRoute agrees with JSON.parse on generated frames, or declines", () => {
  // Deterministic pseudo-random nesting, strings with quotes, escapes and brackets.
  let seed = 20;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const pieces = ['"', "\\", "{", "}", "[", "]", ":", ",", "guild_id", GUILD_B, "é", "\u2028", " "];
  const text = () =>
    Array.from({ length: Math.floor(next() * 6) }, () => pieces[Math.floor(next() * pieces.length)])
      .join("");
  const value = (depth: number): unknown => {
    const r = next();
    if (depth > 3 || r < 0.3) return text();
    if (r < 0.4) return Math.floor(next() * 1000);
    if (r < 0.5) return null;
    if (r < 0.7) return Array.from({ length: Math.floor(next() * 3) }, () => value(depth + 1));
    const o: Record<string, unknown> = {};
    for (let i = 0; i < Math.floor(next() * 4); i++) {
      o[next() < 0.3 ? "guild_id" : text()] = value(depth + 1);
    }
    return o;
  };
  let answered = 0;
  for (let i = 0; i < 3_000; i++) {
    const d: Record<string, unknown> = {};
    // `d`'s own keys: mostly as Discord's (no escapes), sometimes escaped (the scan declines).
    const key = () => (next() < 0.9 ? text().replace(/["\\]/g, "") : text()) || "k";
    for (let k = 0; k < 4; k++) d[key()] = value(1);
    if (next() < 0.8) d.guild_id = next() < 0.9 ? GUILD_A : text();
    const frame = next() < 0.5 ? discordFrame(d, i) : JSON.stringify({ op: 0, d, s: i, t: "X" });
    const route = frameRoute(frame);
    if (route === null) continue;
    answered++;
    const parsed = parsedRoute(frame);
    assert.equal(parsed.op, 0);
    assert.deepEqual(route, { t: parsed.t, s: parsed.s, guildId: parsed.guildId }, frame);
  }
  assert.ok(answered > 2_000, `answered ${answered}`);
});
