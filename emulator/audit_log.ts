/**
 * The guild audit log: what the bot did that Discord records (kicks, bans,
 * role and channel changes, message deletions by moderators, pins, webhook
 * and thread changes), with the `X-Audit-Log-Reason` it gave. The REST
 * router records an entry after each successful audited request; entries
 * are served by `GET /guilds/:id/audit-logs` and announced as
 * GUILD_AUDIT_LOG_ENTRY_CREATE (GUILD_MODERATION).
 *
 * @module
 */

import { isRecord } from "./body.ts";
import { type EmulatorState } from "./state.ts";
import { Intents } from "./state_records.ts";
import type { ApiAuditLogEntry } from "./types.ts";

/** Audit log action types, as Discord numbers them. */
export const AuditLogEvents = {
  CHANNEL_CREATE: 10,
  CHANNEL_UPDATE: 11,
  CHANNEL_DELETE: 12,
  CHANNEL_OVERWRITE_UPDATE: 14,
  CHANNEL_OVERWRITE_DELETE: 15,
  MEMBER_KICK: 20,
  MEMBER_BAN_ADD: 22,
  MEMBER_BAN_REMOVE: 23,
  MEMBER_UPDATE: 24,
  MEMBER_ROLE_UPDATE: 25,
  ROLE_CREATE: 30,
  ROLE_UPDATE: 31,
  ROLE_DELETE: 32,
  WEBHOOK_CREATE: 50,
  WEBHOOK_UPDATE: 51,
  WEBHOOK_DELETE: 52,
  MESSAGE_DELETE: 72,
  MESSAGE_BULK_DELETE: 73,
  MESSAGE_PIN: 74,
  MESSAGE_UNPIN: 75,
  THREAD_CREATE: 110,
} as const;

/** What the router knows about a finished request. */
export interface AuditedRequest {
  label: string;
  params: Record<string, string>;
  guildId: string;
  reason: string | null;
  response: unknown;
  /** Facts read before the handler ran (e.g. the author of a message about to go). */
  before: unknown;
}

interface AuditRule {
  action: number;
  /** The entry's target and options, or null when Discord records nothing. */
  entry(
    request: AuditedRequest,
    state: EmulatorState,
  ): Pick<ApiAuditLogEntry, "target_id" | "options"> | null;
  /** Runs before the handler; its result arrives as `request.before`. */
  prepare?(state: EmulatorState, params: Record<string, string>): unknown;
}

const id = (value: unknown) => isRecord(value) && typeof value.id === "string" ? value.id : null;
const param = (name: string) => (r: AuditedRequest) => ({ target_id: r.params[name] ?? null });
const created = (r: AuditedRequest) => ({ target_id: id(r.response) });

/** The message's author and whether it was the bot's own (deleting your own is not logged). */
function authorOf(state: EmulatorState, params: Record<string, string>) {
  const record = state.channels.get(params.channel_id)?.messages.get(params.message_id);
  return record?.message.author.id ?? null;
}

function pinRule(action: number): AuditRule {
  return {
    action,
    prepare: authorOf,
    entry: (r) => ({
      target_id: typeof r.before === "string" ? r.before : null,
      options: { channel_id: r.params.channel_id, message_id: r.params.message_id },
    }),
  };
}

/** Route label → what Discord records for it. */
const RULES: Record<string, AuditRule> = {
  "POST /guilds/:id/channels": { action: AuditLogEvents.CHANNEL_CREATE, entry: created },
  "PATCH /channels/:id": { action: AuditLogEvents.CHANNEL_UPDATE, entry: param("channel_id") },
  "DELETE /channels/:id": { action: AuditLogEvents.CHANNEL_DELETE, entry: param("channel_id") },
  "PUT /channels/:id/permissions/:id": {
    action: AuditLogEvents.CHANNEL_OVERWRITE_UPDATE,
    entry: (r) => ({ target_id: r.params.channel_id, options: { id: r.params.overwrite_id } }),
  },
  "DELETE /channels/:id/permissions/:id": {
    action: AuditLogEvents.CHANNEL_OVERWRITE_DELETE,
    entry: (r) => ({ target_id: r.params.channel_id, options: { id: r.params.overwrite_id } }),
  },
  "DELETE /guilds/:id/members/:id": {
    action: AuditLogEvents.MEMBER_KICK,
    entry: param("user_id"),
  },
  "PUT /guilds/:id/bans/:id": { action: AuditLogEvents.MEMBER_BAN_ADD, entry: param("user_id") },
  "DELETE /guilds/:id/bans/:id": {
    action: AuditLogEvents.MEMBER_BAN_REMOVE,
    entry: param("user_id"),
  },
  "PATCH /guilds/:id/members/:id": {
    action: AuditLogEvents.MEMBER_UPDATE,
    entry: param("user_id"),
  },
  "PUT /guilds/:id/members/:id/roles/:id": {
    action: AuditLogEvents.MEMBER_ROLE_UPDATE,
    entry: param("user_id"),
  },
  "DELETE /guilds/:id/members/:id/roles/:id": {
    action: AuditLogEvents.MEMBER_ROLE_UPDATE,
    entry: param("user_id"),
  },
  "POST /guilds/:id/roles": { action: AuditLogEvents.ROLE_CREATE, entry: created },
  "PATCH /guilds/:id/roles/:id": { action: AuditLogEvents.ROLE_UPDATE, entry: param("role_id") },
  "DELETE /guilds/:id/roles/:id": { action: AuditLogEvents.ROLE_DELETE, entry: param("role_id") },
  "POST /channels/:id/webhooks": { action: AuditLogEvents.WEBHOOK_CREATE, entry: created },
  "PATCH /webhooks/:id": { action: AuditLogEvents.WEBHOOK_UPDATE, entry: param("webhook_id") },
  "DELETE /webhooks/:id": { action: AuditLogEvents.WEBHOOK_DELETE, entry: param("webhook_id") },
  "DELETE /channels/:id/messages/:id": {
    action: AuditLogEvents.MESSAGE_DELETE,
    prepare: authorOf,
    entry: (r, state) =>
      typeof r.before === "string" && r.before !== state.botUser.id
        ? { target_id: r.before, options: { channel_id: r.params.channel_id, count: "1" } }
        : null,
  },
  "POST /channels/:id/messages/bulk-delete": {
    action: AuditLogEvents.MESSAGE_BULK_DELETE,
    entry: (r) => ({ target_id: r.params.channel_id }),
  },
  "PUT /channels/:id/pins/:id": pinRule(AuditLogEvents.MESSAGE_PIN),
  "PUT /channels/:id/messages/pins/:id": pinRule(AuditLogEvents.MESSAGE_PIN),
  "DELETE /channels/:id/pins/:id": pinRule(AuditLogEvents.MESSAGE_UNPIN),
  "DELETE /channels/:id/messages/pins/:id": pinRule(AuditLogEvents.MESSAGE_UNPIN),
  "POST /channels/:id/threads": { action: AuditLogEvents.THREAD_CREATE, entry: created },
  "POST /channels/:id/messages/:id/threads": {
    action: AuditLogEvents.THREAD_CREATE,
    entry: created,
  },
};

/** Whether a route is audited, and what to read before its handler runs. */
export function prepareAudit(
  state: EmulatorState,
  label: string,
  params: Record<string, string>,
): unknown {
  return RULES[label]?.prepare?.(state, params);
}

/**
 * Records the entry Discord would for a successful request (nothing for
 * routes Discord does not audit) and announces it.
 *
 * @example
 * ```ts
 * recordAudit(state, { label: "PUT /guilds/:id/bans/:id", params, guildId, reason: "spam",
 *   response: undefined, before: undefined });
 * ```
 */
export function recordAudit(state: EmulatorState, request: AuditedRequest): void {
  const rule = RULES[request.label];
  const fields = rule?.entry(request, state);
  if (!rule || !fields || !state.guilds.has(request.guildId)) return;
  const entry: ApiAuditLogEntry = {
    id: state.ids.next(),
    user_id: state.botUser.id,
    action_type: rule.action,
    ...fields,
  };
  if (request.reason !== null) entry.reason = request.reason;
  const log = state.auditLog.get(request.guildId) ?? [];
  log.push(entry);
  state.auditLog.set(request.guildId, log);
  state.emit({
    t: "GUILD_AUDIT_LOG_ENTRY_CREATE",
    d: { ...entry, guild_id: request.guildId },
    guildId: request.guildId,
    intent: Intents.GUILD_MODERATION,
  });
}
