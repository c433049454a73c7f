/**
 * Rules Discord enforces that a bot must not get away with here: component
 * shapes, ATTACH_FILES/EMBED_LINKS, the 6,000-character embed total, upload
 * size, command option order, bulk-delete ids, and malformed path ids.
 */

import { EmulatorClient } from "./mod.ts";
import { Permissions } from "./permissions.ts";
import { api, assertEquals, withEmulator } from "./test_helpers.ts";

// Many requests to one channel: rate limits would answer 429 before the rule under test.
const FAST = { heartbeatIntervalMs: 1100, identifyIntervalMs: 0, rateLimits: { enabled: false } };

/** The first error code in a 50035 errors tree. */
function firstCode(body: Record<string, unknown>): string | undefined {
  const walk = (node: unknown): string | undefined => {
    if (typeof node !== "object" || node === null) return undefined;
    const errors = (node as { _errors?: { code: string }[] })._errors;
    if (errors?.length) return errors[0].code;
    for (const child of Object.values(node)) {
      const found = walk(child);
      if (found) return found;
    }
    return undefined;
  };
  return walk(body.errors);
}

const button = (extra: Record<string, unknown>) => ({ type: 2, style: 1, label: "x", ...extra });
const row = (...components: unknown[]) => ({ type: 1, components });

Deno.test("components: Discord's rules give 400 50035", async () => {
  await withEmulator(FAST, async (emu, general) => {
    const cases: [string, Record<string, unknown>, string][] = [
      ["button without custom_id", { components: [row(button({}))] }, "BASE_TYPE_REQUIRED"],
      [
        "duplicate custom_id",
        { components: [row(button({ custom_id: "a" })), row(button({ custom_id: "a" }))] },
        "COMPONENT_CUSTOM_ID_DUPLICATED",
      ],
      [
        "link button with custom_id",
        { components: [row({ type: 2, style: 5, url: "https://x.test", custom_id: "a" })] },
        "BUTTON_COMPONENT_CUSTOM_ID_NOT_ALLOWED",
      ],
      [
        "six action rows",
        {
          components: Array.from({ length: 6 }, (_, i) => row(button({ custom_id: `b${i}` }))),
        },
        "BASE_TYPE_MAX_LENGTH",
      ],
      [
        "V2 block without the flag",
        { components: [{ type: 10, content: "hi" }] },
        "COMPONENT_LAYOUT_REQUIRES_COMPONENTS_V2",
      ],
      [
        "V2 flag with content",
        { flags: 1 << 15, content: "hi", components: [{ type: 10, content: "hi" }] },
        "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
      ],
    ];
    for (const [label, body, code] of cases) {
      const reply = await api(emu, "POST", `/channels/${general}/messages`, body);
      assertEquals([reply.status, reply.body.code], [400, 50035], label);
      assertEquals(firstCode(reply.body), code, label);
    }
    const v2 = await api(emu, "POST", `/channels/${general}/messages`, {
      flags: 1 << 15,
      components: [{ type: 10, content: "hi" }],
    });
    assertEquals(v2.status, 200);
    // An edit may switch a message to Components V2, but not keep its content then.
    const legacy = await api(emu, "POST", `/channels/${general}/messages`, { content: "old" });
    const switched = await api(emu, "PATCH", `/channels/${general}/messages/${legacy.body.id}`, {
      flags: 1 << 15,
      content: "",
      components: [{ type: 10, content: "new" }],
    });
    assertEquals(switched.status, 200, JSON.stringify(switched.body));
    assertEquals((switched.body.flags as number) & (1 << 15), 1 << 15);
    const again = await api(emu, "PATCH", `/channels/${general}/messages/${legacy.body.id}`, {
      content: "text is not allowed now",
    });
    assertEquals(firstCode(again.body), "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2");
  });
});

Deno.test("permissions: ATTACH_FILES and EMBED_LINKS are enforced (403 50013)", async () => {
  await withEmulator(FAST, async (emu, general) => {
    const control = new EmulatorClient(emu.url);
    await control.setPermissionOverwrite({
      channelId: general,
      id: emu.botUserId,
      type: 1,
      deny: String(Permissions.ATTACH_FILES | Permissions.EMBED_LINKS),
    });
    const embed = await api(emu, "POST", `/channels/${general}/messages`, {
      embeds: [{ title: "x" }],
    });
    assertEquals([embed.status, embed.body.code], [403, 50013]);
    const form = new FormData();
    form.append("payload_json", JSON.stringify({ content: "file" }));
    form.append("files[0]", new File(["x"], "x.txt"));
    const upload = await api(emu, "POST", `/channels/${general}/messages`, form);
    assertEquals([upload.status, upload.body.code], [403, 50013]);
    const plain = await api(emu, "POST", `/channels/${general}/messages`, { content: "ok" });
    assertEquals(plain.status, 200);
    const edit = await api(emu, "PATCH", `/channels/${general}/messages/${plain.body.id}`, {
      embeds: [{ title: "x" }],
    });
    assertEquals([edit.status, edit.body.code], [403, 50013]);
  });
});

Deno.test("limits: 6,000 embed characters (send and interaction reply), upload size 413", async () => {
  await withEmulator(FAST, async (emu, general) => {
    const big = [{ description: "x".repeat(4000) }, { description: "y".repeat(2001) }];
    const sent = await api(emu, "POST", `/channels/${general}/messages`, { embeds: big });
    assertEquals([sent.status, sent.body.code], [400, 50035]);
    assertEquals(firstCode(sent.body), "MAX_EMBED_SIZE_EXCEEDED");

    const guild = emu.seeded!.guilds[0];
    await api(emu, "PUT", `/applications/${emu.applicationId}/guilds/${guild.id}/commands`, [
      { name: "big", description: "big" },
    ]);
    const control = new EmulatorClient(emu.url);
    const { interactionId, token } = await control.invokeSlash({
      guildId: guild.id,
      channelId: general,
      userId: emu.seeded!.users.member,
      name: "big",
    });
    const callback = await api(
      emu,
      "POST",
      `/interactions/${interactionId}/${token}/callback`,
      { type: 4, data: { embeds: big } },
      null,
    );
    assertEquals([callback.status, callback.body.code], [400, 50035]);

    const form = new FormData();
    form.append("payload_json", JSON.stringify({ content: "huge" }));
    form.append("files[0]", new File([new Uint8Array(10 * 1024 * 1024 + 1)], "huge.bin"));
    const upload = await api(emu, "POST", `/channels/${general}/messages`, form);
    assertEquals([upload.status, upload.body.code], [413, 40005]);
  });
});

Deno.test("commands: a required option after an optional one, or autocomplete with choices, is 50035", async () => {
  await withEmulator(FAST, async (emu) => {
    const path = `/applications/${emu.applicationId}/commands`;
    const option = (name: string, extra: Record<string, unknown>) => ({
      type: 3,
      name,
      description: name,
      ...extra,
    });
    const order = await api(emu, "POST", path, {
      name: "order",
      description: "order",
      options: [option("a", {}), option("b", { required: true })],
    });
    assertEquals([order.status, firstCode(order.body)], [
      400,
      "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
    ]);
    const both = await api(emu, "POST", path, {
      name: "both",
      description: "both",
      options: [option("a", { autocomplete: true, choices: [{ name: "x", value: "x" }] })],
    });
    assertEquals([both.status, firstCode(both.body)], [
      400,
      "APPLICATION_COMMAND_OPTION_AUTOCOMPLETE_WITH_CHOICES",
    ]);
  });
});

Deno.test("ids: bulk delete refuses duplicates and non-snowflakes; path ids must be snowflakes", async () => {
  await withEmulator(FAST, async (emu, general) => {
    const a = await api(emu, "POST", `/channels/${general}/messages`, { content: "a" });
    const bulk = `/channels/${general}/messages/bulk-delete`;
    const duplicate = await api(emu, "POST", bulk, { messages: [a.body.id, a.body.id] });
    assertEquals([duplicate.status, firstCode(duplicate.body)], [
      400,
      "SET_TYPE_ALREADY_CONTAINS_VALUE",
    ]);
    const junk = await api(emu, "POST", bulk, { messages: [a.body.id, "abc"] });
    assertEquals([junk.status, firstCode(junk.body)], [400, "NUMBER_TYPE_COERCE"]);
    const path = await api(emu, "GET", "/channels/abc/messages");
    assertEquals([path.status, path.body.code], [400, 50035]);
    assertEquals(path.body.errors, {
      channel_id: {
        _errors: [{ code: "NUMBER_TYPE_COERCE", message: 'Value "abc" is not snowflake.' }],
      },
    });
  });
});

Deno.test("audit log: reasons are recorded and served by GET /guilds/:id/audit-logs", async () => {
  await withEmulator(FAST, async (emu, general) => {
    const { guilds, users } = emu.seeded!;
    const guild = guilds[0];
    const withReason = (method: string, path: string, reason: string, body?: unknown) =>
      fetch(`${emu.restBase}/v10${path}`, {
        method,
        headers: {
          authorization: `Bot ${emu.token}`,
          "x-audit-log-reason": encodeURIComponent(reason),
          ...(body ? { "content-type": "application/json" } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      }).then((r) => r.body?.cancel());
    await withReason("PUT", `/guilds/${guild.id}/bans/${users.member}`, "spam, ünïcode");
    await withReason("POST", `/guilds/${guild.id}/roles`, "new role", { name: "r" });
    const control = new EmulatorClient(emu.url);
    const theirs = await control.sendMessage({
      guildId: guild.id,
      channelId: general,
      userId: users.admin,
      content: "to delete",
    });
    await withReason("DELETE", `/channels/${general}/messages/${theirs.id}`, "off topic");
    const mine = await api(emu, "POST", `/channels/${general}/messages`, { content: "mine" });
    await api(emu, "DELETE", `/channels/${general}/messages/${mine.body.id}`);

    const log = await api(emu, "GET", `/guilds/${guild.id}/audit-logs`);
    assertEquals(log.status, 200);
    const entries = log.body.audit_log_entries as {
      action_type: number;
      reason?: string;
      target_id: string;
      user_id: string;
    }[];
    // Newest first; deleting the bot's own message is not audited, as on Discord.
    assertEquals(entries.map((e) => [e.action_type, e.reason]), [
      [72, "off topic"],
      [30, "new role"],
      [22, "spam, ünïcode"],
    ]);
    assertEquals(entries[0].target_id, users.admin);
    assertEquals(entries[2].user_id, emu.botUserId);
    const bans = await api(emu, "GET", `/guilds/${guild.id}/audit-logs?action_type=22`);
    assertEquals((bans.body.audit_log_entries as unknown[]).length, 1);
  });
});
