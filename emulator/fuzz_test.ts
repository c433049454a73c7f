/**
 * No input produces a 500: every REST route and every control-API route is
 * called with real ids, malformed ids and bodies of every wrong shape, and
 * must answer with Discord's 4xx (or success), never an internal error.
 */

import { startEmulator } from "./mod.ts";
import { assertEquals } from "./test_helpers.ts";

/** Bodies of every wrong shape, plus plausible keys holding wrong types. */
const BODIES: (string | undefined)[] = [
  undefined,
  "null",
  "[]",
  '"text"',
  "12",
  "{}",
  JSON.stringify({
    content: {},
    name: [],
    embeds: "x",
    components: [{}],
    messages: ["abc", "abc"],
    options: [{}],
    permissions: "x",
    roles: "x",
    type: "x",
    data: {},
    recipient_id: [],
    nick: 5,
    flags: "x",
    attachments: [{ id: "x" }],
    message_reference: { message_id: [] },
    allowed_mentions: { parse: "x" },
  }),
  JSON.stringify({
    content: "x".repeat(5000),
    name: "",
    embeds: [{ title: 5, fields: [{}], image: { url: 5 } }],
    components: [{ type: 1, components: [{ type: 2 }] }, { type: 99 }],
    messages: [1, 2],
    options: [{ type: 3, name: 5, choices: "x", autocomplete: "x" }],
    permissions: "99999999999999999999999999",
    roles: ["abc"],
    type: 99,
    data: { content: {}, components: "x", choices: {} },
    channelId: "abc",
    guildId: [],
    userId: {},
    messageId: 5,
    customId: [],
    emoji: {},
    since: "x",
    communication_disabled_until: "not a date",
    delete_message_seconds: "x",
    rate_limit_per_user: -1,
    parent_id: "abc",
    permission_overwrites: [{ id: "abc", type: 7 }],
    auto_archive_duration: "x",
    recipients: "x",
    thread_id: "abc",
  }),
  JSON.stringify({ a: { b: { c: { d: [null, {}, [], "", 0] } } } }),
];

const QUERIES = [
  "",
  "?limit=abc&before=abc&after=abc&around=abc&with_counts=x&wait=x&thread_id=abc" +
  "&with_response=x&query=&user_id=abc&action_type=x&since=x&guildId=abc&waitMs=x",
  "?limit=-5&before=99999999999999999999999&after=0",
];

Deno.test("fuzz: no REST or control-API input gives a 500", async () => {
  const emu = await startEmulator({ rateLimits: { enabled: false } });
  const errors: string[] = [];
  const log = console.error;
  console.error = () => {}; // The emulator logs its 500s; the assertion below reports them.
  try {
    const { guilds, users } = emu.seeded!;
    const guild = guilds[0];
    const auth = { authorization: `Bot ${emu.token}` };
    const json = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${emu.restBase}/v10${path}`, {
        method,
        headers: { ...auth, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return await response.json();
    };
    const message = await json("POST", `/channels/${guild.channels.general}/messages`, {
      content: "seed",
    });
    const webhook = await json("POST", `/channels/${guild.channels.general}/webhooks`, {
      name: "hook",
    });
    const [command] = await json(
      "PUT",
      `/applications/${emu.applicationId}/guilds/${guild.id}/commands`,
      [{ name: "fuzz", description: "fuzz" }],
    );
    const real: Record<string, string> = {
      channel_id: guild.channels.general,
      guild_id: guild.id,
      user_id: users.member,
      role_id: guild.roles.member,
      overwrite_id: guild.roles.member,
      message_id: message.id,
      webhook_id: webhook.id,
      token: webhook.token,
      application_id: emu.applicationId,
      command_id: command.id,
      interaction_id: message.id,
      id: message.id,
      emoji: "%F0%9F%91%8D",
    };
    // Real ids with everything else of the wrong type: reaches past the lookups.
    BODIES.push(JSON.stringify({
      guildId: guild.id,
      channelId: guild.channels.general,
      userId: users.member,
      messageId: message.id,
      customId: 5,
      content: 5,
      name: 5,
      options: "x",
      emoji: 5,
      roles: "x",
      username: 5,
      type: "x",
      commandId: 5,
      targetId: 5,
      values: "x",
    }));
    const idSets = [
      (name: string) => real[name] ?? "1",
      () => "abc",
      () => "99999999999999999999999",
    ];
    // Deletions last, so the other routes still find what they act on.
    const routes = emu.routes().sort((a, b) =>
      Number(a.method === "DELETE") - Number(b.method === "DELETE")
    );
    for (const { method, path } of routes) {
      for (const ids of idSets) {
        const url = emu.url + path.replace(/:(\w+)/g, (_m, name: string) => ids(name));
        for (const body of BODIES) {
          for (const query of method === "GET" ? QUERIES : [QUERIES[0], QUERIES[1]]) {
            if (method === "GET" && body !== undefined) continue;
            const response = await fetch(url + query, {
              method,
              headers: body === undefined ? auth : { ...auth, "content-type": "application/json" },
              body,
            });
            const text = await response.text();
            if (response.status >= 500) {
              errors.push(`${method} ${path}${query} ${body ?? "(no body)"} → ${response.status}`);
            }
            void text;
          }
        }
      }
    }
  } finally {
    console.error = log;
    await emu.close();
  }
  assertEquals(errors, []);
});
