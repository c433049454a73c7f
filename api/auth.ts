/**
 * Who is calling: the operator (operator token), a user with an API token
 * (created by that user, stored hashed), or a user with a browser session
 * (signed cookie naming a stored session). Every route but health, docs and
 * the login flow requires one of them.
 *
 * @module
 */

import type { Context, MiddlewareHandler } from "hono";
import { getSignedCookie } from "hono/cookie";
import type { SessionStore, TokenStore } from "../storage/types.ts";
import { errorResponse } from "./errors.ts";

/** An authenticated caller. */
export type Principal =
  | { kind: "operator" }
  | { kind: "user"; userId: string; username: string; via: "token"; tokenId: string }
  | { kind: "user"; userId: string; username: string; via: "session"; sessionId: string };

/** The Hono environment every API route shares. */
export type ApiEnv = { Variables: { requestId: string; principal: Principal } };

/** The session cookie's name. */
export const SESSION_COOKIE = "flora_session";

/** Scopes that tie an API token to its Discord user. */
export function userScopes(userId: string, username: string): string[] {
  return [`user:${userId}`, `username:${username}`];
}

function scopeValue(scopes: string[], name: string): string | undefined {
  return scopes.find((s) => s.startsWith(name + ":"))?.slice(name.length + 1);
}

/** How a principal is recorded in deployment history (`createdBy`). */
export function actorName(p: Principal): string {
  return p.kind === "operator" ? "operator" : `${p.username} (${p.userId})`;
}

/** The header that carries a session's CSRF token on state-changing requests. */
export const CSRF_HEADER = "x-flora-csrf";

/**
 * A session's CSRF token: an HMAC of the session id, so it needs no storage and another
 * site, which cannot read `/auth/me`, cannot know it.
 */
export async function csrfToken(sessionId: string, secret: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`csrf:${sessionId}`));
  return Array.from(new Uint8Array(mac), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Compares two strings in time independent of where they differ. */
export function timingSafeEqual(a: string, b: string): boolean {
  const ea = new TextEncoder().encode(a);
  const eb = new TextEncoder().encode(b);
  let diff = ea.length ^ eb.length;
  for (let i = 0; i < Math.max(ea.length, eb.length); i++) diff |= (ea[i] ?? 0) ^ (eb[i] ?? 0);
  return diff === 0;
}

export interface AuthOptions {
  operatorToken: string;
  tokens: TokenStore;
  sessions: SessionStore;
  /** HMAC key of the session cookie. */
  sessionSecret: string;
}

/** Resolves the caller, or null when the request carries no valid credentials. */
export async function resolvePrincipal(
  c: Context,
  options: AuthOptions,
): Promise<Principal | { error: string } | null> {
  const header = c.req.header("authorization");
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) return { error: "send your API token as 'Authorization: Bearer <token>'" };
    if (timingSafeEqual(match[1], options.operatorToken)) return { kind: "operator" };
    const token = await options.tokens.verify(match[1]);
    const userId = token && scopeValue(token.scopes, "user");
    if (!token || !userId) {
      return { error: "this API token is not valid (revoked, expired or mistyped)" };
    }
    return {
      kind: "user",
      userId,
      username: scopeValue(token.scopes, "username") ?? userId,
      via: "token",
      tokenId: token.id,
    };
  }
  const sessionId = await getSignedCookie(c, options.sessionSecret, SESSION_COOKIE);
  if (typeof sessionId === "string" && sessionId !== "") {
    const session = await options.sessions.get(sessionId);
    if (!session) return { error: "your session has expired; log in again at /auth/login" };
    const data = session.data as { username?: unknown } | null;
    return {
      kind: "user",
      userId: session.userId,
      username: typeof data?.username === "string" ? data.username : session.userId,
      via: "session",
      sessionId,
    };
  }
  return null;
}

/** Requires a caller; sets `principal`. */
export function requireAuth(options: AuthOptions): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const principal = await resolvePrincipal(c, options);
    if (principal === null) {
      return errorResponse(
        c,
        401,
        "unauthorized",
        "send your API token as 'Authorization: Bearer <token>' (get one with `flora login`)",
      );
    }
    if ("error" in principal) return errorResponse(c, 401, "unauthorized", principal.error);
    c.set("principal", principal);
    await next();
  };
}

/** Requires the operator token (admin routes). */
export const requireOperator: MiddlewareHandler<ApiEnv> = async (c, next) => {
  if (c.get("principal")?.kind !== "operator") {
    return errorResponse(c, 403, "forbidden", "this route needs the operator token");
  }
  await next();
};
