/**
 * `GET /guilds/:id/audit-logs`: the entries `audit_log.ts` recorded, newest
 * first, filtered by `user_id`, `action_type`, `before`, `after` and `limit`
 * as Discord documents; needs VIEW_AUDIT_LOG.
 *
 * @module
 */

import type { Hono } from "hono";
import { invalidField, missingPermissions } from "../errors.ts";
import { Permissions } from "../permissions.ts";
import { limitParam, snowflakeParam } from "./query.ts";
import { ok, type RestContext, route } from "./router.ts";

export function registerAuditLogRoutes(app: Hono, ctx: RestContext): void {
  const { state } = ctx;
  route(app, ctx, "GET", "/guilds/:guild_id/audit-logs", ({ params, query }) => {
    state.guild(params.guild_id);
    if (!(state.permissions(params.guild_id, state.botUser.id) & Permissions.VIEW_AUDIT_LOG)) {
      throw missingPermissions();
    }
    const limit = limitParam(query, 100);
    const userId = snowflakeParam(query, "user_id");
    const before = snowflakeParam(query, "before");
    const after = snowflakeParam(query, "after");
    const actionRaw = query.get("action_type");
    const actionType = actionRaw === null ? null : Number(actionRaw);
    if (actionType !== null && !Number.isInteger(actionType)) {
      throw invalidField(
        ["action_type"],
        "NUMBER_TYPE_COERCE",
        `Value "${actionRaw}" is not int.`,
      );
    }
    let entries = [...(state.auditLog.get(params.guild_id) ?? [])].reverse().filter((e) =>
      (userId === null || e.user_id === userId) &&
      (actionType === null || e.action_type === actionType) &&
      (before === null || BigInt(e.id) < BigInt(before)) &&
      (after === null || BigInt(e.id) > BigInt(after))
    );
    entries = entries.slice(0, limit);
    const userIds = new Set(entries.flatMap((e) => [e.user_id, e.target_id ?? ""]));
    return ok({
      audit_log_entries: entries,
      users: [...userIds].flatMap((id) => state.users.get(id) ?? []),
      integrations: [],
      webhooks: [...state.webhooks.values()]
        .filter((w) => w.guild_id === params.guild_id)
        .map(({ token: _token, ...webhook }) => webhook),
      guild_scheduled_events: [],
      threads: [],
      application_commands: state.commands.get(params.guild_id) ?? [],
      auto_moderation_rules: [],
    });
  });
}
