/**
 * Message features clients rely on that Discord documents: the current pin
 * routes, uploads described by integer ids, `attachment://` in embeds,
 * forwards, role colours.
 */

import { api, assert, assertEquals, withEmulator } from "./test_helpers.ts";
import type { ApiMessage, ApiRole } from "./types.ts";

// Tests identify again within seconds; Discord's 5 s identify spacing is off (gateway_test checks it).
const FAST = { heartbeatIntervalMs: 1100, identifyIntervalMs: 0 };

Deno.test("pins: PUT/GET/DELETE /channels/:id/messages/pins list newest first with pinned_at", async () => {
  await withEmulator(FAST, async (emu, general) => {
    const ids: string[] = [];
    for (const content of ["one", "two", "three"]) {
      const sent = await api(emu, "POST", `/channels/${general}/messages`, { content });
      ids.push(sent.body.id as string);
      assertEquals(
        (await api(emu, "PUT", `/channels/${general}/messages/pins/${sent.body.id}`)).status,
        204,
      );
    }
    const page = await api(emu, "GET", `/channels/${general}/messages/pins?limit=2`);
    assertEquals(page.status, 200);
    const items = page.body.items as { pinned_at: string; message: ApiMessage }[];
    assertEquals(items.map((i) => i.message.id), [ids[2], ids[1]]);
    assertEquals(page.body.has_more, true);
    assert(items.every((i) => i.message.pinned && !Number.isNaN(Date.parse(i.pinned_at))));
    assertEquals(
      (await api(emu, "DELETE", `/channels/${general}/messages/pins/${ids[0]}`)).status,
      204,
    );
    const rest = await api(emu, "GET", `/channels/${general}/messages/pins`);
    assertEquals((rest.body.items as unknown[]).length, 2);
    assertEquals(rest.body.has_more, false);
    const legacy = await api(emu, "GET", `/channels/${general}/pins`);
    assertEquals((legacy.body as unknown as ApiMessage[]).length, 2);
  });
});

Deno.test("uploads: attachments[].id as an integer pairs with files[n]; attachment:// embeds resolve", async () => {
  await withEmulator(FAST, async (emu, general) => {
    const form = new FormData();
    form.append(
      "payload_json",
      JSON.stringify({
        content: "look",
        attachments: [{ id: 0, description: "a chart", filename: "chart.png" }],
        embeds: [{ title: "chart", image: { url: "attachment://chart.png" } }],
      }),
    );
    form.append("files[0]", new File([new Uint8Array(8)], "upload.png", { type: "image/png" }));
    const sent = await api(emu, "POST", `/channels/${general}/messages`, form);
    assertEquals(sent.status, 200, JSON.stringify(sent.body));
    const message = sent.body as unknown as ApiMessage;
    assertEquals(message.attachments.length, 1);
    assertEquals(message.attachments[0].filename, "chart.png");
    assertEquals(message.attachments[0].description, "a chart");
    const image = message.embeds[0].image as { url: string; proxy_url: string };
    assertEquals(image.url, message.attachments[0].url);
    assert(image.proxy_url.startsWith("https://media.discordapp.net/"));
  });
});

Deno.test("embeds: fields sent without inline come back with inline false", async () => {
  await withEmulator(FAST, async (emu, general) => {
    const sent = await api(emu, "POST", `/channels/${general}/messages`, {
      embeds: [{ fields: [{ name: "a", value: "b" }, { name: "c", value: "d", inline: true }] }],
    });
    const fields = (sent.body as unknown as ApiMessage).embeds[0].fields!;
    assertEquals(fields.map((f) => f.inline), [false, true]);
  });
});

Deno.test("forwards: message_reference.type 1 carries a snapshot, not a reply", async () => {
  await withEmulator(FAST, async (emu, general) => {
    const other = emu.seeded!.guilds[0].channels.botCommands;
    const original = await api(emu, "POST", `/channels/${general}/messages`, { content: "news" });
    const forwarded = await api(emu, "POST", `/channels/${other}/messages`, {
      message_reference: { type: 1, message_id: original.body.id, channel_id: general },
    });
    assertEquals(forwarded.status, 200, JSON.stringify(forwarded.body));
    const message = forwarded.body as unknown as ApiMessage;
    assertEquals(message.type, 0);
    assertEquals(message.content, "");
    assertEquals(message.message_reference?.type, 1);
    assertEquals(message.message_snapshots?.[0].message.content, "news");
    assertEquals(message.referenced_message, undefined);
    const unknown = await api(emu, "POST", `/channels/${other}/messages`, {
      message_reference: { type: 1, message_id: "1", channel_id: general },
    });
    assertEquals(unknown.status, 400);
  });
});

Deno.test("roles: colors mirrors color in REST, and PATCH colors updates both", async () => {
  await withEmulator(FAST, async (emu) => {
    const guildId = emu.seeded!.guilds[0].id;
    const roles = (await api(emu, "GET", `/guilds/${guildId}/roles`)).body as unknown as ApiRole[];
    assert(roles.every((r) => r.colors.primary_color === r.color));
    const created = await api(emu, "POST", `/guilds/${guildId}/roles`, {
      name: "painted",
      colors: { primary_color: 0x112233, secondary_color: 0x445566 },
    });
    const role = created.body as unknown as ApiRole;
    assertEquals(role.color, 0x112233);
    assertEquals(role.colors, {
      primary_color: 0x112233,
      secondary_color: 0x445566,
      tertiary_color: null,
    });
  });
});

Deno.test("components: every component gets a numeric id unless the bot chose one", async () => {
  await withEmulator(FAST, async (emu, general) => {
    const sent = await api(emu, "POST", `/channels/${general}/messages`, {
      components: [{
        type: 1,
        components: [
          { type: 2, style: 1, custom_id: "a", label: "A" },
          { type: 2, style: 1, custom_id: "b", label: "B", id: 2 },
        ],
      }],
    });
    const [row] = (sent.body as unknown as ApiMessage).components as {
      id: number;
      components: { id: number }[];
    }[];
    assertEquals([row.id, ...row.components.map((c) => c.id)], [1, 3, 2]);
  });
});
