/**
 * Session and identity endpoints: gateway discovery, the bot user, the
 * application, users, and DM channel creation.
 *
 * @module
 */

import type { Hono } from "hono";
import { objectBody } from "../body.ts";
import { ErrorCodes, invalidField, notFound } from "../errors.ts";
import { Intents } from "../state_records.ts";
import { isSnowflake } from "../snowflake.ts";
import { noContent, ok, type RestContext, route } from "./router.ts";

/** Discord's daily identify allowance. */
const SESSION_START_TOTAL = 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Counts IDENTIFYs against `session_start_limit` over a rolling day. */
export class SessionStartLimit {
  #starts: number[] = [];

  record(): void {
    this.#starts.push(Date.now());
  }

  snapshot(maxConcurrency: number) {
    const now = Date.now();
    this.#starts = this.#starts.filter((t) => now - t < DAY_MS);
    const oldest = this.#starts[0];
    return {
      total: SESSION_START_TOTAL,
      remaining: Math.max(0, SESSION_START_TOTAL - this.#starts.length),
      reset_after: oldest === undefined ? DAY_MS : DAY_MS - (now - oldest),
      max_concurrency: maxConcurrency,
    };
  }
}

export function registerMetaRoutes(app: Hono, ctx: RestContext, starts: SessionStartLimit): void {
  const { state } = ctx;

  route(app, ctx, "GET", "/gateway", () => ok({ url: ctx.gatewayInfo().url }), { auth: false });

  route(app, ctx, "GET", "/gateway/bot", () => {
    const info = ctx.gatewayInfo();
    return ok({
      url: info.url,
      shards: info.shards,
      session_start_limit: starts.snapshot(info.maxConcurrency),
    });
  });

  route(
    app,
    ctx,
    "GET",
    "/users/@me",
    () =>
      ok({
        ...state.botUser,
        verified: true,
        mfa_enabled: false,
        locale: "en-US",
        premium_type: 0,
      }),
  );

  route(app, ctx, "GET", "/users/:user_id", ({ params }) => ok(state.user(params.user_id)));

  const application = () => ({
    ...state.application,
    approximate_guild_count:
      [...state.guilds.values()].filter((g) => g.members.has(state.botUser.id)).length,
    approximate_user_install_count: 0,
    approximate_user_authorization_count: 0,
    eligible_oauth2_scopes: ["bot", "applications.commands"],
  });
  route(app, ctx, "GET", "/applications/@me", () => ok(application()));
  route(app, ctx, "GET", "/oauth2/applications/@me", () => ok(application()));

  route(app, ctx, "GET", "/users/@me/guilds", () =>
    ok(
      [...state.guilds.values()].filter((g) => g.members.has(state.botUser.id)).map((g) => ({
        id: g.guild.id,
        name: g.guild.name,
        icon: g.guild.icon,
        banner: g.guild.banner,
        owner: g.guild.owner_id === state.botUser.id,
        permissions: state.permissions(g.guild.id, state.botUser.id).toString(),
        features: g.guild.features,
      })),
    ));

  route(app, ctx, "DELETE", "/users/@me/guilds/:guild_id", ({ params }) => {
    const guild = state.guild(params.guild_id);
    if (!guild.members.has(state.botUser.id)) throw notFound(ErrorCodes.UnknownGuild);
    if (guild.guild.owner_id === state.botUser.id) {
      throw invalidField(["guild_id"], "GUILD_OWNER_CANNOT_LEAVE", "The owner cannot leave.");
    }
    guild.members.delete(state.botUser.id);
    state.emit({
      t: "GUILD_DELETE",
      d: { id: params.guild_id },
      guildId: params.guild_id,
      intent: Intents.GUILDS,
    });
    return noContent();
  });

  route(app, ctx, "POST", "/users/@me/channels", ({ body }) => {
    const input = objectBody(body.json);
    const recipientId = input.recipient_id;
    if (!isSnowflake(recipientId)) {
      throw invalidField(["recipient_id"], "NUMBER_TYPE_COERCE", "Value is not snowflake.");
    }
    return ok(state.dmChannel(recipientId).channel);
  });
}
