/**
 * Channel (incoming) webhooks: create, list, get, edit and delete them with
 * the bot token (MANAGE_WEBHOOKS), or with the webhook's own token; execute
 * them (`?wait=`, `?thread_id=`) and edit/delete their messages. Messages
 * carry the webhook as author and `webhook_id`, as on Discord.
 *
 * The token-based message routes share their paths with interaction
 * followups; `rest/interactions.ts` hands non-interaction tokens over here.
 *
 * @module
 */

import type { Hono } from "hono";
import type { ParsedBody } from "../body.ts";
import { objectBody } from "../body.ts";
import { DiscordError, ErrorCodes, invalidField, notFound, wrongChannelType } from "../errors.ts";
import { requireChannelPermissions } from "../message_access.ts";
import { deleteMessage, editMessage, postMessage } from "../messaging.ts";
import { Permissions } from "../permissions.ts";
import { type EmulatorState } from "../state.ts";
import { isThread, type MessageRecord } from "../state_records.ts";
import type { ApiUser, ApiWebhook } from "../types.ts";
import { noContent, ok, type RestContext, type RestResult, route } from "./router.ts";

const GUILD_WEBHOOKS = 1 << 5;

function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(51));
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_")
    .replaceAll("=", "");
}

/** The webhook as the bot sees it (with token and creator), or as token routes show it (without). */
function publicView(webhook: ApiWebhook & { token: string }, withToken: boolean): ApiWebhook {
  const { token, user, ...rest } = webhook;
  return withToken ? { ...rest, user, token } : rest;
}

function validName(name: unknown): string {
  if (typeof name !== "string" || name.length < 1 || name.length > 80) {
    throw invalidField(["name"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 80 in length.");
  }
  if (/clyde|discord/i.test(name)) {
    throw invalidField(["name"], "WEBHOOK_INVALID_USERNAME", `Username cannot contain "${name}"`);
  }
  return name;
}

function webhooksUpdate(state: EmulatorState, guildId: string, channelId: string): void {
  state.emit({
    t: "WEBHOOKS_UPDATE",
    d: { guild_id: guildId, channel_id: channelId },
    guildId,
    intent: GUILD_WEBHOOKS,
  });
}

/** The webhook for an id + token pair (10015 when either is wrong). */
export function webhookByToken(state: EmulatorState, id: string, token: string) {
  const webhook = state.webhooks.get(id);
  if (!webhook || webhook.token !== token) throw notFound(ErrorCodes.UnknownWebhook);
  return webhook;
}

/** The user a webhook's messages are authored by. */
function author(webhook: ApiWebhook, input: Record<string, unknown>): ApiUser {
  return {
    id: webhook.id,
    username: typeof input.username === "string" ? input.username : webhook.name,
    discriminator: "0000",
    global_name: null,
    avatar: webhook.avatar,
    bot: true,
    public_flags: 0,
    flags: 0,
    primary_guild: null,
  };
}

/** A message this webhook sent (10008 otherwise). */
function ownMessage(
  state: EmulatorState,
  webhook: ApiWebhook,
  messageId: string,
  threadId: string | null,
): MessageRecord {
  const record = state.message(threadId ?? webhook.channel_id, messageId);
  if (record.message.webhook_id !== webhook.id) throw notFound(ErrorCodes.UnknownMessage);
  return record;
}

/** POST /webhooks/:id/:token for a channel webhook. */
export function executeWebhook(
  state: EmulatorState,
  params: Record<string, string>,
  query: URLSearchParams,
  body: ParsedBody,
): RestResult {
  const webhook = webhookByToken(state, params.webhook_id, params.token);
  const input = objectBody(body.json);
  let channelId = webhook.channel_id;
  const threadId = query.get("thread_id");
  if (threadId) {
    const thread = state.channel(threadId).channel;
    if (!isThread(thread.type) || thread.parent_id !== webhook.channel_id) {
      throw notFound(ErrorCodes.UnknownChannel);
    }
    channelId = threadId;
  }
  const message = postMessage(state, channelId, author(webhook, input), input, body.files, {
    webhookId: webhook.id,
    skipPermissions: true,
    ...(webhook.application_id ? { applicationId: webhook.application_id } : {}),
  });
  return query.get("wait") === "true" ? ok(state.messageToApi(message)) : noContent();
}

/** GET/PATCH/DELETE /webhooks/:id/:token/messages/:message_id for a channel webhook. */
export function webhookMessage(
  state: EmulatorState,
  method: "GET" | "PATCH" | "DELETE",
  params: Record<string, string>,
  query: URLSearchParams,
  body: ParsedBody,
): RestResult {
  const webhook = webhookByToken(state, params.webhook_id, params.token);
  const record = ownMessage(state, webhook, params.message_id, query.get("thread_id"));
  if (method === "GET") return ok(state.messageToApi(record));
  if (method === "PATCH") {
    return ok(state.messageToApi(editMessage(state, record, objectBody(body.json), body.files)));
  }
  deleteMessage(state, record.message.channel_id, record.message.id);
  return noContent();
}

export function registerWebhookRoutes(app: Hono, ctx: RestContext): void {
  const { state } = ctx;
  const botId = () => state.botUser.id;

  const manageable = (id: string) => {
    const webhook = state.webhooks.get(id);
    if (!webhook) throw notFound(ErrorCodes.UnknownWebhook);
    requireChannelPermissions(state, webhook.channel_id, botId(), Permissions.MANAGE_WEBHOOKS);
    return webhook;
  };

  route(app, ctx, "POST", "/channels/:channel_id/webhooks", ({ params, body }) => {
    const channel = state.channel(params.channel_id).channel;
    if (!channel.guild_id || channel.type !== 0) throw wrongChannelType();
    requireChannelPermissions(state, params.channel_id, botId(), Permissions.MANAGE_WEBHOOKS);
    const input = objectBody(body.json);
    const existing = [...state.webhooks.values()].filter((w) => w.channel_id === channel.id);
    if (existing.length >= 15) {
      throw new DiscordError(400, {
        code: 30007,
        message: "Maximum number of webhooks reached (15)",
      });
    }
    const webhook: ApiWebhook & { token: string } = {
      id: state.ids.next(),
      type: 1,
      guild_id: channel.guild_id,
      channel_id: channel.id,
      user: state.botUser,
      name: validName(input.name),
      avatar: null,
      token: randomToken(),
      application_id: state.application.id,
    };
    state.webhooks.set(webhook.id, webhook);
    webhooksUpdate(state, channel.guild_id, channel.id);
    return ok(publicView(webhook, true));
  });

  route(app, ctx, "GET", "/channels/:channel_id/webhooks", ({ params }) => {
    state.channel(params.channel_id);
    requireChannelPermissions(state, params.channel_id, botId(), Permissions.MANAGE_WEBHOOKS);
    return ok(
      [...state.webhooks.values()].filter((w) => w.channel_id === params.channel_id)
        .map((w) => publicView(w, true)),
    );
  });

  route(app, ctx, "GET", "/guilds/:guild_id/webhooks", ({ params }) => {
    state.guild(params.guild_id);
    if (!(state.permissions(params.guild_id, botId()) & Permissions.MANAGE_WEBHOOKS)) {
      throw new DiscordError(403, ErrorCodes.MissingPermissions);
    }
    return ok(
      [...state.webhooks.values()].filter((w) => w.guild_id === params.guild_id)
        .map((w) => publicView(w, true)),
    );
  });

  route(
    app,
    ctx,
    "GET",
    "/webhooks/:webhook_id",
    ({ params }) => ok(publicView(manageable(params.webhook_id), true)),
  );

  route(app, ctx, "PATCH", "/webhooks/:webhook_id", ({ params, body }) => {
    const webhook = manageable(params.webhook_id);
    const input = objectBody(body.json);
    if (input.name !== undefined) webhook.name = validName(input.name);
    if (typeof input.channel_id === "string" && input.channel_id !== webhook.channel_id) {
      const target = state.channel(input.channel_id).channel;
      if (target.guild_id !== webhook.guild_id) throw notFound(ErrorCodes.UnknownChannel);
      requireChannelPermissions(state, target.id, botId(), Permissions.MANAGE_WEBHOOKS);
      webhooksUpdate(state, webhook.guild_id, webhook.channel_id);
      webhook.channel_id = target.id;
    }
    webhooksUpdate(state, webhook.guild_id, webhook.channel_id);
    return ok(publicView(webhook, true));
  });

  route(app, ctx, "DELETE", "/webhooks/:webhook_id", ({ params }) => {
    const webhook = manageable(params.webhook_id);
    state.webhooks.delete(webhook.id);
    webhooksUpdate(state, webhook.guild_id, webhook.channel_id);
    return noContent();
  });

  const tokenBase = "/webhooks/:webhook_id/:token";

  route(
    app,
    ctx,
    "GET",
    tokenBase,
    ({ params }) => ok(publicView(webhookByToken(state, params.webhook_id, params.token), false)),
    {
      auth: false,
    },
  );

  route(app, ctx, "PATCH", tokenBase, ({ params, body }) => {
    const webhook = webhookByToken(state, params.webhook_id, params.token);
    const input = objectBody(body.json);
    // With the token only the name and avatar may change, not the channel.
    if (input.channel_id !== undefined) {
      throw invalidField(["channel_id"], "BASE_TYPE_INVALID", "Not allowed with a webhook token.");
    }
    if (input.name !== undefined) webhook.name = validName(input.name);
    webhooksUpdate(state, webhook.guild_id, webhook.channel_id);
    return ok(publicView(webhook, false));
  }, { auth: false });

  route(app, ctx, "DELETE", tokenBase, ({ params }) => {
    const webhook = webhookByToken(state, params.webhook_id, params.token);
    state.webhooks.delete(webhook.id);
    webhooksUpdate(state, webhook.guild_id, webhook.channel_id);
    return noContent();
  }, { auth: false });
}
