/**
 * Interaction responses: the one initial callback (3 s window, 40060 on a
 * second), followups and @original edits through the application's webhook
 * token (valid 15 min). These routes need no bot token, as on Discord.
 *
 * @module
 */

import type { Hono } from "hono";
import { isRecord, objectBody } from "../body.ts";
import { DiscordError, ErrorCodes, invalidField, notFound } from "../errors.ts";
import { InteractionTypes } from "../interactions.ts";
import {
  deleteMessage,
  editMessage,
  MessageFlags,
  MessageTypes,
  postMessage,
} from "../messaging.ts";
import { type InteractionRecord, type MessageRecord } from "../state_records.ts";
import { noContent, ok, type RestContext, route } from "./router.ts";
import { executeWebhook, webhookMessage } from "./webhooks.ts";

/** Interaction callback types. */
export const CallbackTypes = {
  PONG: 1,
  CHANNEL_MESSAGE_WITH_SOURCE: 4,
  DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE: 5,
  DEFERRED_UPDATE_MESSAGE: 6,
  UPDATE_MESSAGE: 7,
  APPLICATION_COMMAND_AUTOCOMPLETE_RESULT: 8,
  MODAL: 9,
} as const;

/** Which callback types each interaction type accepts. */
const ALLOWED: Record<number, number[]> = {
  [InteractionTypes.PING]: [1],
  [InteractionTypes.APPLICATION_COMMAND]: [4, 5, 9],
  [InteractionTypes.MESSAGE_COMPONENT]: [4, 5, 6, 7, 9],
  [InteractionTypes.APPLICATION_COMMAND_AUTOCOMPLETE]: [8],
  [InteractionTypes.MODAL_SUBMIT]: [4, 5, 6, 7],
};

const RESPONSE_FLAGS = MessageFlags.EPHEMERAL | MessageFlags.SUPPRESS_EMBEDS |
  MessageFlags.SUPPRESS_NOTIFICATIONS | MessageFlags.IS_COMPONENTS_V2;

/** Records what the bot did with an interaction (the control API reports it), stamped now. */
function recordResponse(
  record: InteractionRecord,
  entry: Omit<InteractionRecord["responses"][number], "at">,
): void {
  record.responses.push({ ...entry, at: Date.now() });
}

export function registerInteractionRoutes(app: Hono, ctx: RestContext): void {
  const { state } = ctx;

  const metadata = (record: InteractionRecord) => {
    const i = record.interaction;
    const user = i.member?.user ?? i.user;
    if (!user) throw new Error("interaction without a user");
    return {
      id: i.id,
      type: i.type,
      user,
      authorizing_integration_owners: i.authorizing_integration_owners,
      ...(i.data?.name ? { name: i.data.name, command_type: i.data.type } : {}),
    };
  };

  const post = (record: InteractionRecord, data: Record<string, unknown>, extraFlags = 0) => {
    const i = record.interaction;
    if (!i.channel_id) throw new DiscordError(400, ErrorCodes.UnknownChannel);
    return postMessage(
      state,
      i.channel_id,
      state.botUser,
      { ...data, flags: ((data.flags as number | undefined) ?? 0) | extraFlags },
      [],
      {
        webhookId: state.application.id,
        applicationId: state.application.id,
        interactionMetadata: metadata(record),
        type: i.type === InteractionTypes.APPLICATION_COMMAND
          ? MessageTypes.CHAT_INPUT_COMMAND
          : MessageTypes.DEFAULT,
        allowedFlags: RESPONSE_FLAGS | (extraFlags & MessageFlags.LOADING),
        skipPermissions: true,
        allowEmpty: (extraFlags & MessageFlags.LOADING) !== 0,
      },
    );
  };

  route(
    app,
    ctx,
    "POST",
    "/interactions/:interaction_id/:token/callback",
    ({ params, body, query }) => {
      const record = state.interaction(params.interaction_id, params.token);
      if (record.responseType !== null) throw new DiscordError(400, ErrorCodes.AlreadyAcknowledged);
      // Past the 3-second window Discord has already told the user it failed.
      if (Date.now() - record.createdAt > state.interactionResponseWindowMs) {
        throw notFound(ErrorCodes.UnknownInteraction);
      }
      const input = objectBody(body.json);
      const type = input.type;
      if (typeof type !== "number" || !Number.isInteger(type)) {
        throw invalidField(["type"], "BASE_TYPE_REQUIRED", "This field is required");
      }
      if (!(ALLOWED[record.interaction.type] ?? []).includes(type)) {
        throw invalidField(
          ["type"],
          "INTERACTION_RESPONSE_TYPE_INVALID",
          "Interaction response type is invalid for this interaction.",
        );
      }
      const data = isRecord(input.data) ? input.data : {};
      let message: MessageRecord | undefined;
      switch (type) {
        case CallbackTypes.CHANNEL_MESSAGE_WITH_SOURCE:
          message = post(record, data, 0);
          record.originalMessageId = message.message.id;
          break;
        case CallbackTypes.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE: {
          const flags = typeof data.flags === "number" ? data.flags & MessageFlags.EPHEMERAL : 0;
          message = post(record, { flags }, MessageFlags.LOADING);
          record.originalMessageId = message.message.id;
          break;
        }
        case CallbackTypes.UPDATE_MESSAGE:
        case CallbackTypes.DEFERRED_UPDATE_MESSAGE: {
          const target = record.interaction.message;
          if (!target) throw new DiscordError(400, ErrorCodes.UnknownMessage);
          message = state.message(target.channel_id, target.id);
          if (type === CallbackTypes.UPDATE_MESSAGE) editMessage(state, message, data);
          record.originalMessageId = message.message.id;
          break;
        }
        case CallbackTypes.MODAL: {
          const missing = ["custom_id", "title", "components"].find((k) => data[k] === undefined);
          if (missing) {
            throw invalidField(["data", missing], "BASE_TYPE_REQUIRED", "This field is required");
          }
          break;
        }
        case CallbackTypes.APPLICATION_COMMAND_AUTOCOMPLETE_RESULT:
          if (!Array.isArray(data.choices)) {
            throw invalidField(["data", "choices"], "BASE_TYPE_REQUIRED", "This field is required");
          }
          break;
      }
      record.responseType = type;
      recordResponse(record, {
        kind: "callback",
        type,
        body: input,
        messageId: message?.message.id,
      });
      if (query.get("with_response") !== "true") return noContent();
      const response: Record<string, unknown> = {
        interaction: {
          id: record.interaction.id,
          type: record.interaction.type,
          ...(message
            ? {
              response_message_id: message.message.id,
              response_message_loading: (message.message.flags & MessageFlags.LOADING) !== 0,
              response_message_ephemeral: (message.message.flags & MessageFlags.EPHEMERAL) !== 0,
            }
            : {}),
        },
      };
      if (message || type === CallbackTypes.MODAL) {
        response.resource = message ? { type, message: state.messageToApi(message) } : { type };
      }
      return ok(response);
    },
    { auth: false },
  );

  const base = "/webhooks/:webhook_id/:token";

  /** The interaction behind an application webhook token; non-interaction webhooks are unknown. */
  const byToken = (webhookId: string, token: string) => state.interactionByToken(webhookId, token);

  /** Resolves `@original` or a followup id to a message of this interaction. */
  const target = (record: InteractionRecord, messageId: string): MessageRecord => {
    const channelId = record.interaction.channel_id;
    const id = messageId === "@original" ? record.originalMessageId : messageId;
    const mine = id !== null &&
      (id === record.originalMessageId || record.followupIds.includes(id));
    if (!channelId || !id || !mine) throw notFound(ErrorCodes.UnknownMessage);
    return state.message(channelId, id);
  };

  /** Tokens that are not interaction tokens belong to channel webhooks. */
  const isInteraction = (token: string) => state.interactionsByToken.has(token);

  route(app, ctx, "POST", base, ({ params, body, query }) => {
    if (!isInteraction(params.token)) return executeWebhook(state, params, query, body);
    const record = byToken(params.webhook_id, params.token);
    // Followups need the initial response first.
    if (record.responseType === null) throw notFound(ErrorCodes.UnknownWebhook);
    const input = objectBody(body.json);
    const i = record.interaction;
    if (!i.channel_id) throw notFound(ErrorCodes.UnknownChannel);
    // After a deferred reply, the first followup replaces the "thinking" placeholder
    // (keeping its ephemerality) instead of posting a new message.
    const placeholder = record.originalMessageId
      ? state.channels.get(i.channel_id)?.messages.get(record.originalMessageId)
      : undefined;
    if (
      record.responseType === CallbackTypes.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE && placeholder &&
      placeholder.message.flags & MessageFlags.LOADING
    ) {
      editMessage(state, placeholder, { ...input, flags: undefined }, body.files, {
        markEdited: false,
      });
      recordResponse(record, {
        kind: "followup",
        body: input,
        messageId: placeholder.message.id,
      });
      return ok(state.messageToApi(placeholder));
    }
    const message = postMessage(state, i.channel_id, state.botUser, input, body.files, {
      webhookId: state.application.id,
      applicationId: state.application.id,
      interactionMetadata: metadata(record),
      type: i.type === InteractionTypes.APPLICATION_COMMAND
        ? MessageTypes.CHAT_INPUT_COMMAND
        : MessageTypes.DEFAULT,
      allowedFlags: RESPONSE_FLAGS,
      skipPermissions: true,
    });
    record.followupIds.push(message.message.id);
    recordResponse(record, {
      kind: "followup",
      body: input,
      messageId: message.message.id,
    });
    return ok(state.messageToApi(message));
  }, { auth: false });

  route(app, ctx, "GET", `${base}/messages/:message_id`, ({ params, body, query }) => {
    if (!isInteraction(params.token)) {
      return webhookMessage(state, "GET", params, query, body);
    }
    const record = byToken(params.webhook_id, params.token);
    return ok(state.messageToApi(target(record, params.message_id)));
  }, { auth: false });

  route(app, ctx, "PATCH", `${base}/messages/:message_id`, ({ params, body, query }) => {
    if (!isInteraction(params.token)) {
      return webhookMessage(state, "PATCH", params, query, body);
    }
    const record = byToken(params.webhook_id, params.token);
    const message = target(record, params.message_id);
    const input = objectBody(body.json);
    editMessage(state, message, input, body.files);
    recordResponse(record, {
      kind: "edit",
      body: input,
      messageId: message.message.id,
    });
    return ok(state.messageToApi(message));
  }, { auth: false });

  route(app, ctx, "DELETE", `${base}/messages/:message_id`, ({ params, body, query }) => {
    if (!isInteraction(params.token)) {
      return webhookMessage(state, "DELETE", params, query, body);
    }
    const record = byToken(params.webhook_id, params.token);
    const message = target(record, params.message_id);
    deleteMessage(state, message.message.channel_id, message.message.id);
    recordResponse(record, {
      kind: "delete",
      body: null,
      messageId: message.message.id,
    });
    return noContent();
  }, { auth: false });
}
