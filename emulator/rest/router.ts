/**
 * The REST plumbing every resource module shares: bot-token auth, body
 * parsing, Discord-shaped errors, and recording each request in the action
 * log. Resource modules register handlers with `route()`.
 *
 * @module
 */

import type { Hono } from "hono";
import type { ActionLog } from "../actions.ts";
import { prepareAudit, recordAudit } from "../audit_log.ts";
import { parseBody, type ParsedBody } from "../body.ts";
import { DiscordError, invalidField, unauthorized } from "../errors.ts";
import { isSnowflake } from "../snowflake.ts";
import type { GatewayServer } from "../gateway.ts";
import type { EmulatorState } from "../state.ts";
import type { RateLimiter } from "./ratelimit.ts";
import { validateBody } from "./validate.ts";

/** Everything a handler may touch. */
export interface RestContext {
  state: EmulatorState;
  actions: ActionLog;
  token: string;
  gateway: GatewayServer;
  rateLimits: RateLimiter;
  /** What GET /gateway/bot reports. */
  gatewayInfo: () => { url: string; shards: number; maxConcurrency: number };
}

/** The request as a handler sees it. */
export interface RestRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  body: ParsedBody;
  headers: Headers;
  /** X-Audit-Log-Reason, decoded. */
  reason: string | null;
}

/** What a handler returns: status and JSON body (204 has none). */
export interface RestResult {
  status: number;
  body?: unknown;
}

export type Handler = (req: RestRequest) => RestResult | Promise<RestResult>;

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface RouteOptions {
  /** Interaction callbacks and webhook-token routes need no bot token. */
  auth?: boolean;
}

/** JSON 200. */
export function ok(body: unknown): RestResult {
  return { status: 200, body };
}

/** 204 No Content. */
export function noContent(): RestResult {
  return { status: 204 };
}

/** The route label used in the action log: every path parameter becomes `:id`, except tokens. */
export function routeLabel(method: Method, pattern: string): string {
  return `${method} ${
    pattern.replace(/:(\w+)/g, (_m, name: string) => name === "token" ? ":token" : ":id")
  }`;
}

/** Route patterns per app, to tell 405 (known path, other method) from 404. */
const patterns = new WeakMap<Hono, RegExp[]>();

/** Whether some route of `app` matches `path` (without the `/api/vN` prefix). */
export function knownPath(app: Hono, path: string): boolean {
  return (patterns.get(app) ?? []).some((re) => re.test(path));
}

/** Registers a handler with auth, error mapping, rate limits and action logging. */
export function route(
  app: Hono,
  ctx: RestContext,
  method: Method,
  pattern: string,
  handler: Handler,
  options: RouteOptions = {},
): void {
  const label = routeLabel(method, pattern);
  const list = patterns.get(app) ?? [];
  list.push(new RegExp(`^${pattern.replace(/:\w+/g, "[^/]+")}/?$`));
  patterns.set(app, list);
  app.on(method, pattern, async (c) => {
    const request = c.req.raw;
    const url = new URL(request.url);
    const params = c.req.param() as Record<string, string>;
    const authorized = request.headers.get("authorization") === `Bot ${ctx.token}`;
    let body: ParsedBody = { json: null, files: [] };
    let result: RestResult;
    let headers: Record<string, string> = {};
    if (options.auth !== false && !authorized) {
      // Unauthenticated requests are not the bot's actions; answer without logging.
      const error = unauthorized();
      return c.json(error.body, 401);
    }
    // Scope first: the handler may delete what it names (a channel, a webhook).
    const scope = actionScope(ctx, params);
    try {
      // The body is read before the rate-limit check so even 429s log what was sent.
      body = await parseBody(request);
      checkPathIds(params);
      const limit = ctx.rateLimits.take(label, params, authorized || options.auth !== false);
      headers = limit.headers;
      if (limit.error) throw limit.error;
      validateBody(label, body.json);
      const reasonHeader = request.headers.get("x-audit-log-reason");
      const reason = reasonHeader === null ? null : safeDecode(reasonHeader);
      const before = prepareAudit(ctx.state, label, params);
      result = await handler({
        params,
        query: url.searchParams,
        body,
        headers: request.headers,
        reason,
      });
      if (scope.guildId && result.status < 300) {
        recordAudit(ctx.state, {
          label,
          params,
          guildId: scope.guildId,
          reason,
          response: result.body,
          before,
        });
      }
    } catch (error) {
      if (error instanceof DiscordError) {
        result = { status: error.status, body: error.body };
        if (error.headers) headers = { ...headers, ...error.headers };
      } else {
        // An emulator bug: answer like Discord's 500 and keep it visible in the log.
        console.error(`emulator: ${label} failed:`, error);
        result = { status: 500, body: { message: "500: Internal Server Error", code: 0 } };
      }
    }
    ctx.actions.append({
      at: Date.now(),
      method,
      path: url.pathname.replace(/^\/api\/v\d+/, "") + url.search,
      route: label,
      status: result.status,
      ...scope,
      body: body.json,
      response: result.body,
    });
    if (result.status === 204) return new Response(null, { status: 204, headers });
    return new Response(JSON.stringify(result.body ?? null), {
      status: result.status,
      headers: { ...headers, "content-type": "application/json" },
    });
  });
}

/** Which guild/channel/interaction an action concerns (for filtering the log). */
function actionScope(
  ctx: RestContext,
  params: Record<string, string>,
): { guildId?: string; channelId?: string; interactionId?: string } {
  const scope: { guildId?: string; channelId?: string; interactionId?: string } = {};
  const state = ctx.state;
  if (params.guild_id) scope.guildId = params.guild_id;
  if (params.channel_id) {
    scope.channelId = params.channel_id;
    const guildId = state.channels.get(params.channel_id)?.channel.guild_id;
    if (guildId) scope.guildId ??= guildId;
  }
  const webhook = params.webhook_id ? state.webhooks.get(params.webhook_id) : undefined;
  if (webhook) {
    scope.guildId ??= webhook.guild_id;
    scope.channelId ??= webhook.channel_id;
  }
  let interactionId: string | undefined = params.interaction_id;
  if (!interactionId && params.token) interactionId = state.interactionsByToken.get(params.token);
  if (interactionId) {
    scope.interactionId = interactionId;
    const interaction = state.interactions.get(interactionId)?.interaction;
    if (interaction?.guild_id) scope.guildId ??= interaction.guild_id;
    if (interaction?.channel_id) scope.channelId ??= interaction.channel_id;
  }
  return scope;
}

/** Path parameters that name something by id; `@me` and `@original` stand for one. */
const ID_PARAM = /_id$/;
const ALIASES = new Set(["@me", "@original"]);

/** A malformed id in the path is Discord's 400 50035 ("is not snowflake"), not a 404. */
function checkPathIds(params: Record<string, string>): void {
  for (const [name, value] of Object.entries(params)) {
    if (!ID_PARAM.test(name) || ALIASES.has(value) || isSnowflake(value)) continue;
    throw invalidField([name], "NUMBER_TYPE_COERCE", `Value "${value}" is not snowflake.`);
  }
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
