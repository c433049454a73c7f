/**
 * Route definitions that drive both the request checks and the OpenAPI
 * document: each route names its path, query and body schemas (zod), who
 * may call it, and its responses. `ApiRouter.route` registers the Hono
 * handler with authentication, per-caller rate limits, guild authorization,
 * a body limit and validation in front, and records the route for
 * `/openapi.json`.
 *
 * @module
 */

import type { Context, Hono } from "hono";
import { z } from "zod";
import type { RateLimitStore } from "../storage/types.ts";
import type { GuildAccess } from "./access.ts";
import {
  type ApiEnv,
  type AuthOptions,
  CSRF_HEADER,
  csrfToken,
  type Principal,
  resolvePrincipal,
  timingSafeEqual,
} from "./auth.ts";
import { ApiError, errorResponse } from "./errors.ts";
import { MemoryRateLimitStore } from "./memory_rate_limits.ts";

/** A Discord id (snowflake), as every `:guild` path parameter must be. */
export const snowflake = z.string().regex(
  /^[1-9]\d{16,19}$/,
  "must be a Discord id (17-20 digits, not starting with 0)",
);

/**
 * Whether a request's Content-Type says JSON (`application/json`, with any
 * parameters, or a `+json` type). A JSON body sent as anything else is
 * refused rather than guessed at.
 *
 * @example
 * ```ts
 * isJsonContentType("application/json; charset=utf-8"); // true
 * isJsonContentType("text/plain"); // false
 * isJsonContentType(undefined); // false
 * ```
 */
export function isJsonContentType(header: string | undefined): boolean {
  const type = header?.split(";")[0].trim().toLowerCase() ?? "";
  return type === "application/json" || (type.startsWith("application/") && type.endsWith("+json"));
}

type Method = "get" | "post" | "put" | "delete";

/** What a route declares about itself. */
export interface RouteSpec<
  P extends z.ZodObject = z.ZodObject,
  Q extends z.ZodObject = z.ZodObject,
  B extends z.ZodType = z.ZodType,
> {
  method: Method;
  /** Hono path, e.g. `/kv/:guild/:store`. */
  path: string;
  summary: string;
  description?: string;
  tag: string;
  /** `none`: public; `user`: any caller; `operator`: the operator token only. */
  auth: "none" | "user" | "operator";
  /** The path's `:guild` is checked against the caller's rights (default: when present). */
  guild?: boolean;
  params?: P;
  query?: Q;
  /** JSON body schema. */
  body?: B;
  /** Largest body, bytes (default: the API's maxBodyBytes). */
  maxBodyBytes?: number;
  /** Body as raw text (e.g. JSON lines) instead of JSON; `body` is then not used. */
  rawBody?: { contentType: string };
  responses: Record<number, string>;
}

/** What a handler gets: the checked inputs and the caller. */
export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  /** The raw body for `rawBody` routes. */
  text: string;
  principal: Principal;
}

export interface RouterOptions {
  auth: AuthOptions;
  access: GuildAccess;
  rateLimits: RateLimitStore;
  rateLimit: { requests: number; windowMs: number };
  maxBodyBytes: number;
}

function describeZodError(error: z.ZodError, where: string): string {
  return error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join(".") : where;
    return `${where === path ? where : `${where} ${path}`}: ${issue.message}`;
  }).join("; ");
}

async function readBody(c: Context, max: number): Promise<string> {
  const declared = Number(c.req.header("content-length") ?? "0");
  if (declared > max) {
    throw new ApiError(413, "too_large", `the body is larger than the limit of ${max} bytes`);
  }
  const reader = c.req.raw.body?.getReader();
  if (!reader) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > max) {
      await reader.cancel();
      throw new ApiError(413, "too_large", `the body is larger than the limit of ${max} bytes`);
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.length;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(all);
  } catch {
    throw new ApiError(400, "invalid_body", "the body must be UTF-8 text");
  }
}

/** The key a caller's requests are counted under. */
function rateKey(c: Context, principal: Principal | null): string {
  if (principal?.kind === "operator") return "operator";
  if (principal?.kind === "user") {
    return principal.via === "token"
      ? `token:${principal.tokenId}`
      : `session:${principal.sessionId}`;
  }
  const info = (c.env as { remoteAddr?: { hostname?: string } } | undefined)?.remoteAddr;
  return `anon:${info?.hostname ?? "local"}`;
}

/** Registers routes on a Hono app and remembers them for the OpenAPI document. */
export class ApiRouter {
  readonly specs: RouteSpec[] = [];
  /** Counts requests in this process while the shared rate-limit store (Redis) is down. */
  readonly #fallbackLimits = new MemoryRateLimitStore();

  constructor(readonly app: Hono<ApiEnv>, readonly options: RouterOptions) {}

  route<P extends z.ZodObject, Q extends z.ZodObject, B extends z.ZodType>(
    spec: RouteSpec<P, Q, B>,
    handler: (
      c: Context<ApiEnv>,
      input: RouteInput<z.infer<P>, z.infer<Q>, z.infer<B>>,
    ) => Response | Promise<Response>,
  ): void {
    this.specs.push(spec as unknown as RouteSpec);
    const o = this.options;
    this.app.on(spec.method.toUpperCase(), spec.path, async (c) => {
      // Resolved for every route (public ones too) so limits count per caller; a request with
      // bad credentials counts against its address, so guessing tokens is rate limited too.
      const resolved = spec.auth === "none" && !c.req.header("authorization")
        ? null
        : await resolvePrincipal(c, o.auth);
      const principal: Principal | null = resolved && !("error" in resolved) ? resolved : null;
      const key = rateKey(c, principal);
      const { requests, windowMs } = o.rateLimit;
      // A shared store outage must not take the API (and /health) down with it.
      const limit = await o.rateLimits.hit(key, requests, windowMs)
        .catch(() => this.#fallbackLimits.hit(key, requests, windowMs));
      c.header("x-ratelimit-limit", String(o.rateLimit.requests));
      c.header("x-ratelimit-remaining", String(limit.remaining));
      if (!limit.allowed) {
        const seconds = Math.max(1, Math.ceil((limit.resetAt - Date.now()) / 1000));
        c.header("retry-after", String(seconds));
        return errorResponse(
          c,
          429,
          "rate_limited",
          `too many requests; try again in ${seconds} s`,
        );
      }
      if (spec.auth !== "none") {
        if (resolved === null) {
          return errorResponse(
            c,
            401,
            "unauthorized",
            "send your API token as 'Authorization: Bearer <token>' (get one with `flora login`)",
          );
        }
        if ("error" in resolved) return errorResponse(c, 401, "unauthorized", resolved.error);
        c.set("principal", resolved);
        // A browser sends its cookie on any site's request; only flora's own page knows the token.
        if (
          spec.method !== "get" && resolved.kind === "user" && resolved.via === "session" &&
          !timingSafeEqual(
            c.req.header(CSRF_HEADER) ?? "",
            await csrfToken(resolved.sessionId, o.auth.sessionSecret),
          )
        ) {
          return errorResponse(
            c,
            403,
            "csrf",
            `a signed-in browser must send the ${CSRF_HEADER} header from /auth/me (csrfToken)`,
          );
        }
      }
      if (spec.auth === "operator" && principal?.kind !== "operator") {
        return errorResponse(c, 403, "forbidden", "this route needs the operator token");
      }
      const rawParams = c.req.param() as Record<string, string>;
      // Authorization comes before the other inputs: a caller without rights on the guild
      // learns nothing about what else would have been accepted.
      const checkGuild = spec.guild ?? spec.path.includes(":guild");
      if (checkGuild && principal && snowflake.safeParse(rawParams.guild).success) {
        await o.access.assert(principal, rawParams.guild);
      }
      const params = spec.params
        ? spec.params.safeParse(rawParams)
        : { success: true as const, data: {} };
      if (!params.success) {
        return errorResponse(c, 400, "invalid_path", describeZodError(params.error, "path"));
      }
      const query = spec.query
        ? spec.query.safeParse(c.req.query())
        : { success: true as const, data: {} };
      if (!query.success) {
        return errorResponse(c, 400, "invalid_query", describeZodError(query.error, "query"));
      }
      let body: unknown = undefined;
      let text = "";
      if (spec.body || spec.rawBody) {
        const type = c.req.header("content-type");
        if (spec.body && !isJsonContentType(type)) {
          return errorResponse(
            c,
            415,
            "unsupported_media_type",
            `the body must be JSON sent with 'Content-Type: application/json' (got ${
              type ? `'${type}'` : "no Content-Type"
            }); see /openapi.json`,
          );
        }
        text = await readBody(c, spec.maxBodyBytes ?? o.maxBodyBytes);
        if (spec.body) {
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            return errorResponse(
              c,
              400,
              "invalid_json",
              "the body must be JSON (send Content-Type: application/json); see /openapi.json",
            );
          }
          const parsed = spec.body.safeParse(json);
          if (!parsed.success) {
            return errorResponse(c, 400, "invalid_body", describeZodError(parsed.error, "body"));
          }
          body = parsed.data;
        }
      }
      return await handler(c, {
        params: params.data as z.infer<P>,
        query: query.data as z.infer<Q>,
        body: body as z.infer<B>,
        text,
        principal: principal as Principal,
      });
    });
  }
}
