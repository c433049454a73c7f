/**
 * Checks what the emulator sent — REST responses from the action log and
 * gateway dispatches — against the response schemas of Discord's OpenAPI
 * spec (`discord-api-spec`'s Zod schemas), so a payload that lacks a field
 * Discord always sends fails a test instead of a client in production.
 *
 * The spec covers REST only; a dispatch is checked through the REST object
 * it carries (GUILD_CREATE's guild, channels and members, MESSAGE_CREATE's
 * message, INTERACTION_CREATE's resolved data, …).
 *
 * @module
 */

import * as spec from "discord-api-spec/zod";
import type { BotAction } from "./actions.ts";
import { isRecord } from "./body.ts";
import { valueAt } from "./rest/validate.ts";

/** A Zod schema, as much of it as the checker needs. */
interface Schema {
  safeParse(value: unknown): {
    success: boolean;
    error?: { issues: { code: string; path: PropertyKey[]; message: string; format?: string }[] };
  };
}

/** A dispatch as a client receives it. */
export interface SentDispatch {
  t: string | null;
  d: unknown;
}

/** Picks the parts of a payload to check and the schema for each. */
type Part = [label: string, schema: Schema, value: unknown];
type Check = (value: unknown) => Part[];

const one = (schema: Schema): Check => (value) => [["", schema, value]];
const list = (schema: Schema): Check => (value) =>
  Array.isArray(value) ? value.map((v, i): Part => [`[${i}]`, schema, v]) : [["", LIST, value]];
const LIST: Schema = {
  safeParse: (value) =>
    Array.isArray(value) ? { success: true } : {
      success: false,
      error: { issues: [{ code: "invalid_type", path: [], message: "expected an array" }] },
    },
};

/** The channel schema for a channel's type (guild channel, thread or DM). */
const channel: Check = (value) => {
  const type = isRecord(value) ? value.type : undefined;
  if (type === 10 || type === 11 || type === 12) {
    return [["", spec.ThreadResponseSchema, value]];
  }
  if (type === 1) return [["", spec.PrivateChannelResponseSchema, value]];
  return [["", spec.GuildChannelResponseSchema, value]];
};
const channels: Check = (value) =>
  Array.isArray(value)
    ? value.flatMap((v, i) => channel(v).map(([l, s, x]): Part => [`[${i}]${l}`, s, x]))
    : [["", LIST, value]];

/** A field of the payload, checked with `check`. */
const field = (key: string, check: Check): Check => (value) =>
  isRecord(value) && value[key] !== undefined
    ? check(value[key]).map(([l, s, v]): Part => [`.${key}${l}`, s, v])
    : [];
/** Checks the payload without one of its fields. */
const without = (key: string, check: Check): Check => (value) => {
  if (!isRecord(value)) return check(value);
  const { [key]: _omitted, ...rest } = value;
  return check(rest);
};
const all = (...checks: Check[]): Check => (value) => checks.flatMap((c) => c(value));

const message = one(spec.MessageResponseSchema);
const guild = all(
  one(spec.GuildResponseSchema),
  field("channels", channels),
  field("threads", channels),
  field("members", list(spec.GuildMemberResponseSchema)),
);
const command = one(spec.ApplicationCommandResponseSchema);
const interaction = all(
  field("member", one(spec.GuildMemberResponseSchema)),
  field("user", one(spec.UserResponseSchema)),
  field("message", message),
  // Resolved channels are partial on Discord (id, name, type, permissions), unlike the spec's.
  field("data", field("resolved", without("channels", one(spec.ResolvedObjectsResponseSchema)))),
);

/** Route label → what its 2xx response must look like. */
const REST: Record<string, Check> = {
  "GET /gateway": one(spec.GatewayResponseSchema),
  "GET /gateway/bot": one(spec.GatewayBotResponseSchema),
  "GET /users/@me": one(spec.UserPIIResponseSchema),
  "GET /users/:id": one(spec.UserResponseSchema),
  "GET /users/@me/guilds": list(spec.MyGuildResponseSchema),
  "GET /applications/@me": one(spec.PrivateApplicationResponseSchema),
  "GET /oauth2/applications/@me": one(spec.PrivateApplicationResponseSchema),
  "GET /channels/:id/messages": list(spec.MessageResponseSchema),
  "POST /channels/:id/messages": message,
  "GET /channels/:id/messages/:id": message,
  "PATCH /channels/:id/messages/:id": message,
  "GET /channels/:id/pins": list(spec.MessageResponseSchema),
  "GET /channels/:id/messages/pins": one(spec.PinnedMessagesResponseSchema),
  "GET /channels/:id/messages/:id/reactions/:id": list(spec.UserResponseSchema),
  "GET /channels/:id": channel,
  "PATCH /channels/:id": channel,
  "DELETE /channels/:id": channel,
  "POST /guilds/:id/channels": channel,
  "GET /guilds/:id/channels": channels,
  "POST /users/@me/channels": channel,
  "POST /channels/:id/threads": one(spec.ThreadResponseSchema),
  "POST /channels/:id/messages/:id/threads": one(spec.ThreadResponseSchema),
  "GET /guilds/:id/threads/active": one(spec.ThreadsResponseSchema),
  "GET /guilds/:id": one(spec.GuildResponseSchema),
  "GET /guilds/:id/roles": list(spec.GuildRoleResponseSchema),
  "POST /guilds/:id/roles": one(spec.GuildRoleResponseSchema),
  "PATCH /guilds/:id/roles/:id": one(spec.GuildRoleResponseSchema),
  "GET /guilds/:id/members": list(spec.GuildMemberResponseSchema),
  "GET /guilds/:id/members/search": list(spec.GuildMemberResponseSchema),
  "GET /guilds/:id/members/:id": one(spec.GuildMemberResponseSchema),
  "PATCH /guilds/:id/members/:id": one(spec.GuildMemberResponseSchema),
  "GET /guilds/:id/bans": list(spec.GuildBanResponseSchema),
  "GET /guilds/:id/bans/:id": one(spec.GuildBanResponseSchema),
  "GET /guilds/:id/audit-logs": one(spec.GuildAuditLogResponseSchema),
  "GET /applications/:id/commands": list(spec.ApplicationCommandResponseSchema),
  "PUT /applications/:id/commands": list(spec.ApplicationCommandResponseSchema),
  "POST /applications/:id/commands": command,
  "GET /applications/:id/commands/:id": command,
  "PATCH /applications/:id/commands/:id": command,
  "GET /applications/:id/guilds/:id/commands": list(spec.ApplicationCommandResponseSchema),
  "PUT /applications/:id/guilds/:id/commands": list(spec.ApplicationCommandResponseSchema),
  "POST /applications/:id/guilds/:id/commands": command,
  "GET /applications/:id/guilds/:id/commands/:id": command,
  "PATCH /applications/:id/guilds/:id/commands/:id": command,
  "POST /interactions/:id/:token/callback": one(spec.InteractionCallbackResponseSchema),
  "POST /webhooks/:id/:token": message,
  "GET /webhooks/:id/:token/messages/:id": message,
  "PATCH /webhooks/:id/:token/messages/:id": message,
  "POST /channels/:id/webhooks": one(spec.GuildIncomingWebhookResponseSchema),
  "GET /channels/:id/webhooks": list(spec.GuildIncomingWebhookResponseSchema),
  "GET /guilds/:id/webhooks": list(spec.GuildIncomingWebhookResponseSchema),
};

/** Dispatch type → the REST objects inside it. */
const GATEWAY: Record<string, Check> = {
  READY: field("user", one(spec.UserPIIResponseSchema)),
  GUILD_CREATE: guild,
  GUILD_UPDATE: one(spec.GuildResponseSchema),
  GUILD_ROLE_CREATE: field("role", one(spec.GuildRoleResponseSchema)),
  GUILD_ROLE_UPDATE: field("role", one(spec.GuildRoleResponseSchema)),
  GUILD_MEMBER_ADD: one(spec.GuildMemberResponseSchema),
  GUILD_MEMBER_UPDATE: one(spec.GuildMemberResponseSchema),
  TYPING_START: field("member", one(spec.GuildMemberResponseSchema)),
  MESSAGE_REACTION_ADD: field("member", one(spec.GuildMemberResponseSchema)),
  GUILD_MEMBERS_CHUNK: field("members", list(spec.GuildMemberResponseSchema)),
  GUILD_BAN_ADD: field("user", one(spec.UserResponseSchema)),
  CHANNEL_CREATE: channel,
  CHANNEL_UPDATE: channel,
  CHANNEL_DELETE: channel,
  THREAD_CREATE: one(spec.ThreadResponseSchema),
  THREAD_UPDATE: one(spec.ThreadResponseSchema),
  MESSAGE_CREATE: message,
  MESSAGE_UPDATE: message,
  INTERACTION_CREATE: interaction,
};

/**
 * Every place where a sent payload departs from the spec, as
 * `"<where> <path>: <problem>"`; empty when everything conforms.
 *
 * @example
 * ```ts
 * const problems = specViolations(emu.actions.list(), dispatches);
 * if (problems.length) throw new Error(problems.join("\n"));
 * ```
 */
export function specViolations(actions: BotAction[], dispatches: SentDispatch[]): string[] {
  const problems: string[] = [];
  for (const action of actions) {
    const check = REST[action.route];
    if (!check || action.status < 200 || action.status > 299 || action.response === undefined) {
      continue;
    }
    problems.push(...violations(`REST ${action.route}`, check, action.response));
  }
  for (const dispatch of dispatches) {
    const check = dispatch.t ? GATEWAY[dispatch.t] : undefined;
    if (check) problems.push(...violations(`gateway ${dispatch.t}`, check, dispatch.d));
  }
  return [...new Set(problems)];
}

function violations(where: string, check: Check, value: unknown): string[] {
  const problems: string[] = [];
  for (const [label, schema, part] of check(value)) {
    const result = schema.safeParse(part);
    for (const issue of result.error?.issues ?? []) {
      // Discord writes timestamps with a `+00:00` offset, which the spec's datetime format omits.
      if (
        issue.code === "invalid_format" && issue.format === "datetime" &&
        isDiscordTimestamp(valueAt(part, issue.path))
      ) continue;
      const got = JSON.stringify(valueAt(part, issue.path)) ?? "undefined";
      const shown = got.length > 160 ? `${got.slice(0, 160)}…` : got;
      problems.push(
        `${where} ${label}${
          issue.path.map((p) => `.${String(p)}`).join("")
        }: ${issue.message} (got ${shown})`,
      );
    }
  }
  return problems;
}

function isDiscordTimestamp(value: unknown): boolean {
  return typeof value === "string" && /\+00:00$/.test(value) && !Number.isNaN(Date.parse(value));
}
