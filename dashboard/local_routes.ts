/**
 * Local mode: under `deno task start` with the built-in emulator, the
 * dashboard lets the operator act as a user of the emulator's guilds — send
 * a message, run a slash command, click a component — so a bot can be tried
 * with no Discord at all. Served only when flora runs on its built-in
 * emulator; every route is guild-authorized like the rest of the API.
 *
 * @module
 */

import { z } from "zod";
import { ApiError } from "../api/errors.ts";
import { type ApiRouter, snowflake } from "../api/routing.ts";
import { EmulatorClient, EmulatorClientError } from "../emulator/client.ts";

const guildParams = z.object({ guild: snowflake });
const actor = { channelId: snowflake, userId: snowflake };

/** Turns the emulator's refusal into a 400 that says what Discord would have said. */
async function acting<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof EmulatorClientError) {
      const body = error.body as { message?: string } | null;
      throw new ApiError(
        400,
        "emulator_refused",
        `the emulator refused: ${body?.message ?? error.status}`,
      );
    }
    throw error;
  }
}

/** Registers `/local/:guild/*` against the emulator's control API at `controlUrl`'s origin. */
export function registerLocalRoutes(api: ApiRouter, emulatorUrl: string): void {
  const emu = new EmulatorClient(emulatorUrl);
  const guildOf = async (guildId: string) => {
    const world = await emu.world();
    const guild = world.guilds.find((g) => g.id === guildId);
    if (!guild) {
      throw new ApiError(404, "not_emulated", `guild ${guildId} is not an emulator guild`);
    }
    return guild;
  };
  const checkChannel = async (guildId: string, channelId: string) => {
    const guild = await guildOf(guildId);
    if (!guild.channels.some((c) => c.id === channelId)) {
      throw new ApiError(400, "invalid_channel", `channel ${channelId} is not in guild ${guildId}`);
    }
    return guild;
  };

  api.route({
    method: "get",
    path: "/local/:guild",
    tag: "local",
    auth: "user",
    summary: "Local mode: the emulator guild's channels, members and commands",
    params: guildParams,
    responses: { 200: "{ channels, members, commands }", 404: "not an emulator guild" },
  }, async (c, { params }) => {
    const guild = await guildOf(params.guild);
    return c.json({
      channels: guild.channels.filter((ch) => ch.type === 0).map((ch) => ({
        id: ch.id,
        name: ch.name,
      })),
      members: guild.members.filter((m) => !m.bot).map((m) => ({
        id: m.userId,
        username: m.username,
      })),
      commands: guild.commands.map((cmd) => ({ name: cmd.name, description: cmd.description })),
    });
  });

  api.route({
    method: "get",
    path: "/local/:guild/channels/:channel/messages",
    tag: "local",
    auth: "user",
    summary: "Local mode: a channel's messages, oldest first",
    params: z.object({ guild: snowflake, channel: snowflake }),
    responses: { 200: "{ messages }" },
  }, async (c, { params }) => {
    await checkChannel(params.guild, params.channel);
    const messages = await acting(() => emu.messages(params.channel));
    return c.json({ messages: messages.slice(-50) });
  });

  api.route({
    method: "post",
    path: "/local/:guild/messages",
    tag: "local",
    auth: "user",
    summary: "Local mode: send a message as an emulator user",
    params: guildParams,
    body: z.object({ ...actor, content: z.string().min(1).max(2000) }).strict(),
    responses: { 201: "the message" },
  }, async (c, { params, body }) => {
    await checkChannel(params.guild, body.channelId);
    const message = await acting(() => emu.sendMessage({ guildId: params.guild, ...body }));
    return c.json({ message }, 201);
  });

  api.route({
    method: "post",
    path: "/local/:guild/slash",
    tag: "local",
    auth: "user",
    summary: "Local mode: run a slash command as an emulator user",
    params: guildParams,
    body: z.object({
      ...actor,
      name: z.string().min(1).max(32),
      options: z.array(z.object({ name: z.string(), type: z.number().int(), value: z.unknown() }))
        .max(25).optional(),
    }).strict(),
    responses: { 201: "the interaction id" },
  }, async (c, { params, body }) => {
    await checkChannel(params.guild, body.channelId);
    const r = await acting(() => emu.invokeSlash({ guildId: params.guild, ...body }));
    return c.json({ interactionId: r.interactionId }, 201);
  });

  api.route({
    method: "post",
    path: "/local/:guild/components",
    tag: "local",
    auth: "user",
    summary: "Local mode: click a button (or pick from a select) as an emulator user",
    params: guildParams,
    body: z.object({
      ...actor,
      messageId: snowflake,
      customId: z.string().min(1).max(100),
      values: z.array(z.string().max(100)).max(25).optional(),
    }).strict(),
    responses: { 201: "the interaction id" },
  }, async (c, { params, body }) => {
    await checkChannel(params.guild, body.channelId);
    const r = await acting(() =>
      emu.invokeComponent({
        ...body,
        ...(body.values ? { componentType: 3 } : {}),
      })
    );
    return c.json({ interactionId: r.interactionId }, 201);
  });
}
