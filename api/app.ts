/**
 * The flora HTTP API: a Hono app composed of small route modules, with the
 * hardening every route shares — request ids (in every log line and error),
 * security headers, CORS for configured origins only, per-caller rate
 * limits, body limits, and errors that say what to fix (never a bare 500 for
 * bad input). Routes are declared once (`ApiRouter`), which also generates
 * `/openapi.json`, browsable at `/docs`.
 *
 * @module
 */

import { Hono } from "hono";
import { cors } from "hono/cors";
import { HTTPException } from "hono/http-exception";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import {
  type CacheStore,
  type DeploymentStore,
  type GuildKvStore,
  type RateLimitStore,
  type SecretStore,
  type SessionStore,
  StorageInputError,
  StorageNotFoundError,
  type TokenStore,
} from "../storage/types.ts";
import { GuildAccess } from "./access.ts";
import type { ApiEnv } from "./auth.ts";
import { type ApiSettings, DEFAULT_API_SETTINGS } from "./config.ts";
import { type DiscordDirectory, DiscordOAuth } from "./discord.ts";
import { ApiError, errorResponse } from "./errors.ts";
import { openApiDocument, REFERENCE_PAGE } from "./openapi.ts";
import { ApiRouter } from "./routing.ts";
import { registerAuthRoutes } from "./routes/auth.ts";
import { type DeployService, registerDeploymentRoutes } from "./routes/deployments.ts";
import { registerGuildRoutes } from "./routes/guilds.ts";
import { registerKvRoutes } from "./routes/kv.ts";
import { type LogFeed, registerLogRoutes } from "./routes/logs.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { registerSecretRoutes } from "./routes/secrets.ts";
import { registerUsageRoutes, type UsageSource } from "./routes/usage.ts";
import { type ClusterSource, registerClusterRoutes } from "./routes/cluster.ts";

/** The API's version, reported in `/health` and the OpenAPI document. */
export const API_VERSION = "1.0.0";

export interface ApiOptions {
  operatorToken: string;
  deployments: DeploymentStore;
  deployer: DeployService;
  tokens: TokenStore;
  sessions: SessionStore;
  cache: CacheStore;
  rateLimits: RateLimitStore;
  guildKv: GuildKvStore;
  logs: LogFeed;
  /**
   * Guild secrets, for `api/routes/secrets.ts` (the isolation engineer's), which mounts with
   * `registerSecretRoutes(router, options.secrets)`: the CLI calls `PUT /secrets/:guild/:name`
   * `{ value }`, `DELETE /secrets/:guild/:name` and `GET /secrets/:guild` → `{ secrets }`.
   * Routes declared on `router` get authentication, guild authorization, limits and OpenAPI.
   */
  secrets?: SecretStore;
  /** Per-guild usage counters (`GET /guilds/:guild/usage`; absent: the route is not served). */
  usage?: UsageSource;
  /** The cluster's state (`GET /cluster`); absent: a single process. */
  cluster?: ClusterSource;
  /** Discord as the bot sees it (permission checks, the bot's guilds). */
  discord: DiscordDirectory;
  settings?: Partial<ApiSettings>;
  /** HMAC key of session cookies (default: derived from the operator token). */
  sessionSecret?: string;
  /** Aborted when the host stops: open log streams end so the server can shut down. */
  shutdown?: AbortSignal;
  /** Extra fields for `/health` (e.g. gateway state). */
  health?: () => Record<string, unknown> | Promise<Record<string, unknown>>;
  /** Renders `/metrics` (Prometheus text; operator token only). */
  metrics?: () => string;
  /**
   * Routes served beside the API's own (the dashboard, local mode), registered with the
   * same authentication, guild authorization, limits and OpenAPI entries.
   */
  extraRoutes?: ((router: ApiRouter) => void)[];
  /** Receives one line per request and per internal error (with the request id). */
  log?: (line: string) => void;
}

/** Builds the API app. */
export function createApi(options: ApiOptions): Hono<ApiEnv> {
  const settings: ApiSettings = { ...DEFAULT_API_SETTINGS, ...options.settings };
  const log = options.log ?? (() => {});
  const app = new Hono<ApiEnv>();
  app.use(requestId());
  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    log(
      `[api] ${c.get("requestId")} ${c.req.method} ${c.req.path} ${c.res.status} ${
        (performance.now() - started).toFixed(1)
      }ms`,
    );
  });
  app.use(secureHeaders());
  app.use(cors({
    origin: (origin) => settings.corsOrigins.includes(origin) ? origin : null,
    credentials: true,
    allowHeaders: ["authorization", "content-type", "last-event-id"],
    allowMethods: ["GET", "POST", "PUT", "DELETE"],
    exposeHeaders: ["x-request-id", "retry-after"],
  }));

  const sessionSecret = options.sessionSecret ?? `flora-session:${options.operatorToken}`;
  const auth = {
    operatorToken: options.operatorToken,
    tokens: options.tokens,
    sessions: options.sessions,
    sessionSecret,
  };
  const access = new GuildAccess(options.discord, options.cache, settings.accessCacheMs);
  const router = new ApiRouter(app, {
    auth,
    access,
    rateLimits: options.rateLimits,
    rateLimit: settings.rateLimit,
    maxBodyBytes: settings.maxBodyBytes,
  });

  router.route({
    method: "get",
    path: "/health",
    tag: "meta",
    auth: "none",
    summary: "Liveness and what this flora runs on",
    responses: { 200: "ok" },
  }, async (c) => {
    const extra = (await options.health?.()) ?? {};
    // A backend reported as down degrades health but the runtime keeps serving.
    const storage = extra.storage as Record<string, string> | undefined;
    const degraded = storage !== undefined && Object.values(storage).some((s) => s !== "ok");
    return c.json({ status: degraded ? "degraded" : "ok", version: API_VERSION, ...extra });
  });

  registerAuthRoutes(router, {
    oauth: settings.oauth ? new DiscordOAuth(settings.oauth) : undefined,
    publicUrl: settings.publicUrl,
    tokens: options.tokens,
    sessions: options.sessions,
    cache: options.cache,
    sessionSecret,
    sessionTtlMs: settings.sessionTtlMs,
    botGuilds: () => options.discord.botGuilds(),
  });
  registerGuildRoutes(router, {
    access,
    deployments: options.deployments,
    listCacheMs: settings.guildListCacheMs,
  });
  registerDeploymentRoutes(router, {
    store: options.deployments,
    deployer: options.deployer,
    maxBundleBytes: settings.maxBundleBytes,
  });
  registerLogRoutes(router, options.logs, options.shutdown);
  registerKvRoutes(router, options.guildKv);
  if (options.secrets) registerSecretRoutes(router, options.secrets);
  if (options.usage) registerUsageRoutes(router, options.usage);
  registerClusterRoutes(router, options.cluster);
  for (const register of options.extraRoutes ?? []) register(router);
  if (options.metrics) app.route("/metrics", metricsRoutes(options.metrics, options.operatorToken));

  router.route({
    method: "get",
    path: "/openapi.json",
    tag: "meta",
    auth: "none",
    summary: "This document",
    responses: { 200: "OpenAPI 3.1" },
  }, (c) => c.json(openApiDocument(router.specs, { version: API_VERSION })));
  router.route({
    method: "get",
    path: "/docs",
    tag: "meta",
    auth: "none",
    summary: "Browsable API reference",
    responses: { 200: "HTML" },
  }, (c) => c.html(REFERENCE_PAGE));

  app.notFound((c) =>
    errorResponse(
      c,
      404,
      "not_found",
      `no route for ${c.req.method} ${c.req.path}; the routes are listed at /docs`,
    )
  );
  app.onError((error, c) => {
    if (error instanceof ApiError) return errorResponse(c, error.status, error.code, error.message);
    if (error instanceof StorageInputError) {
      return errorResponse(c, 400, "invalid_input", error.message);
    }
    if (error instanceof StorageNotFoundError) {
      return errorResponse(c, 404, "not_found", error.message);
    }
    if (error instanceof HTTPException) {
      return errorResponse(c, error.status as ContentfulStatusCode, "http_error", error.message);
    }
    log(
      `[api] ${c.get("requestId")} ${c.req.method} ${c.req.path} internal error: ${
        error instanceof Error ? error.stack ?? error.message : String(error)
      }`,
    );
    return errorResponse(c, 500, "internal", `internal error (request id ${c.get("requestId")})`);
  });
  return app;
}
