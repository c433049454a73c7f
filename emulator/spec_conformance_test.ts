/**
 * Every REST response and gateway dispatch of a broad run — messages with
 * embeds, files and components, pins, reactions, threads, roles, members,
 * bans, commands, interactions, webhooks — matches discord-api-spec's
 * response schemas. A field the emulator forgets fails here.
 */

import { specViolations } from "./spec_conformance.ts";
import { api, assertEquals, withTestBot } from "./test_helpers.ts";

Deno.test("spec conformance: a broad run's REST responses and dispatches match discord-api-spec", async () => {
  await withTestBot({ heartbeatIntervalMs: 1100 }, {}, async ({ emu, tb, control }) => {
    const { guilds, users } = emu.seeded!;
    const guild = guilds[0];
    const general = guild.channels.general;
    await tb.waitForDispatch("GUILD_CREATE", (d: { id: string }) => d.id === guild.id);
    const get = (path: string) => api(emu, "GET", path);
    await get("/gateway/bot");
    await get("/users/@me");
    await get(`/users/${users.member}`);
    await get("/users/@me/guilds");
    await get("/applications/@me");
    const sent = await api(emu, "POST", `/channels/${general}/messages`, {
      content: "hello",
      embeds: [{ title: "t", fields: [{ name: "a", value: "b" }] }],
      components: [{
        type: 1,
        components: [{ type: 2, style: 1, custom_id: "go", label: "Go" }],
      }],
    });
    const messageId = sent.body.id as string;
    const form = new FormData();
    form.append("payload_json", JSON.stringify({ attachments: [{ id: 0 }] }));
    form.append("files[0]", new File(["hi"], "a.txt", { type: "text/plain" }));
    await api(emu, "POST", `/channels/${general}/messages`, form);
    await api(emu, "PATCH", `/channels/${general}/messages/${messageId}`, { content: "edited" });
    await get(`/channels/${general}/messages?limit=10`);
    await get(`/channels/${general}/messages/${messageId}`);
    await api(emu, "PUT", `/channels/${general}/messages/pins/${messageId}`);
    await get(`/channels/${general}/messages/pins`);
    await get(`/channels/${general}/pins`);
    await api(emu, "PUT", `/channels/${general}/messages/${messageId}/reactions/%F0%9F%91%8D/@me`);
    await get(`/channels/${general}/messages/${messageId}/reactions/%F0%9F%91%8D`);
    await api(emu, "POST", `/channels/${general}/messages/${messageId}/threads`, { name: "t" });
    await get(`/guilds/${guild.id}/threads/active`);
    await get(`/channels/${general}`);
    await get(`/guilds/${guild.id}`);
    await get(`/guilds/${guild.id}/channels`);
    await get(`/guilds/${guild.id}/roles`);
    await api(emu, "POST", `/guilds/${guild.id}/roles`, { name: "r" });
    await get(`/guilds/${guild.id}/members?limit=10`);
    await get(`/guilds/${guild.id}/members/${users.member}`);
    await api(emu, "POST", "/users/@me/channels", { recipient_id: users.member });
    await api(emu, "POST", `/channels/${general}/webhooks`, { name: "hook" });
    await api(emu, "PUT", `/applications/${emu.applicationId}/guilds/${guild.id}/commands`, [
      {
        name: "pick",
        description: "pick someone",
        options: [{ type: 6, name: "who", description: "who", required: true }],
      },
    ]);
    await control.sendMessage({
      guildId: guild.id,
      channelId: general,
      userId: users.member,
      content: "from a user <@" + emu.botUserId + ">",
    });
    const invoked = await control.invokeSlash({
      guildId: guild.id,
      channelId: general,
      userId: users.member,
      name: "pick",
      options: [{ name: "who", type: 6, value: users.admin }],
    });
    await tb.waitForDispatch(
      "INTERACTION_CREATE",
      (d: { id: string }) => d.id === invoked.interactionId,
    );
    await fetch(
      `${emu.restBase}/v10/interactions/${invoked.interactionId}/${invoked.token}/callback?with_response=true`,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ type: 4, data: { content: "picked" } }),
      },
    ).then((r) => r.body?.cancel());
    await api(emu, "PUT", `/guilds/${guild.id}/bans/${users.member}`);
    await get(`/guilds/${guild.id}/bans`);
    await get(`/guilds/${guild.id}/audit-logs`);
    const problems = specViolations(emu.actions.list(), tb.payloads);
    assertEquals(problems, []);
  });
});
