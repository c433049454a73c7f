/**
 * Logging in and API tokens. Browser login is Discord OAuth2: `/auth/login`
 * → Discord → `/auth/callback`, which starts a session (signed cookie) — or,
 * for `flora login`, redirects to the CLI's loopback server with a one-time
 * code the CLI trades for an API token at `/auth/cli/exchange`. Tokens are
 * shown once and stored hashed; users list and revoke their own.
 *
 * @module
 */

import { deleteCookie, getSignedCookie, setSignedCookie } from "hono/cookie";
import { z } from "zod";
import type { CacheStore, SessionStore, TokenStore } from "../../storage/types.ts";
import { csrfToken, type Principal, SESSION_COOKIE, timingSafeEqual, userScopes } from "../auth.ts";
import type { DiscordOAuth } from "../discord.ts";
import { ApiError } from "../errors.ts";
import type { ApiRouter } from "../routing.ts";

const STATE_COOKIE = "flora_oauth";
const STATE_TTL_MS = 10 * 60 * 1000;
const CLI_CODE_TTL_MS = 2 * 60 * 1000;

export interface AuthRoutesOptions {
  oauth?: DiscordOAuth;
  publicUrl?: string;
  tokens: TokenStore;
  sessions: SessionStore;
  cache: CacheStore;
  sessionSecret: string;
  sessionTtlMs: number;
  /** The guilds the bot is in (to tell which of a user's guilds lack it). */
  botGuilds?: () => Promise<{ id: string }[]>;
}

function randomId(): string {
  return Array.from(
    crypto.getRandomValues(new Uint8Array(24)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}

function userIdOf(scopes: string[]): string | undefined {
  return scopes.find((s) => s.startsWith("user:"))?.slice(5);
}

function tokenView(
  t: { id: string; name: string; createdAt: string; expiresAt?: string; revokedAt?: string },
) {
  return {
    id: t.id,
    name: t.name,
    createdAt: t.createdAt,
    ...(t.expiresAt ? { expiresAt: t.expiresAt } : {}),
    ...(t.revokedAt ? { revokedAt: t.revokedAt } : {}),
  };
}

function whoami(p: Principal) {
  return p.kind === "operator" ? { kind: "operator" as const } : {
    kind: "user" as const,
    user: { id: p.userId, username: p.username },
    via: p.via,
    ...(p.via === "token" ? { tokenId: p.tokenId } : {}),
  };
}

/** Registers `/auth/*` and `/tokens`. */
export function registerAuthRoutes(api: ApiRouter, o: AuthRoutesOptions): void {
  const oauth = () => {
    if (!o.oauth) {
      throw new ApiError(
        404,
        "login_disabled",
        "browser login is not configured on this flora (the operator sets DISCORD_CLIENT_ID and " +
          "DISCORD_CLIENT_SECRET); use an API token instead",
      );
    }
    return o.oauth;
  };
  // Behind a TLS-terminating proxy the request URL is http; the public URL tells the truth.
  const secure = (requestUrl: string) => (o.publicUrl ?? requestUrl).startsWith("https:");
  const callbackUrl = (requestUrl: string) =>
    `${o.publicUrl ?? new URL(requestUrl).origin}/auth/callback`;

  api.route({
    method: "get",
    path: "/auth/login",
    tag: "auth",
    auth: "none",
    summary: "Start a Discord login (redirects to Discord)",
    description:
      "`cli_port` + `cli_state` are for `flora login`: the result goes to the CLI's loopback server.",
    query: z.object({
      cli_port: z.string().regex(/^\d{1,5}$/, "must be a port number").transform(Number)
        .pipe(z.number().int().min(1024).max(65535)).optional(),
      cli_state: z.string().regex(/^[\w-]{16,128}$/, "must be 16-128 letters, digits, _ or -")
        .optional(),
      next: z.string().regex(
        /^\/[A-Za-z0-9_\-/]{0,200}$/,
        "must be a path on this flora (e.g. /dashboard)",
      ).refine((p) => !p.startsWith("//"), "must be a path on this flora (e.g. /dashboard)")
        .optional().describe("where to send the browser once logged in"),
    }),
    responses: { 302: "to Discord's authorize page", 404: "login not configured" },
  }, async (c, { query }) => {
    const client = oauth();
    if ((query.cli_port === undefined) !== (query.cli_state === undefined)) {
      throw new ApiError(400, "invalid_query", "give both cli_port and cli_state, or neither");
    }
    const state = randomId();
    await o.cache.set(
      `oauth:${state}`,
      query.cli_port
        ? { port: query.cli_port, state: query.cli_state ?? "" }
        : query.next
        ? { next: query.next }
        : {},
      STATE_TTL_MS,
    );
    await setSignedCookie(c, STATE_COOKIE, state, o.sessionSecret, {
      httpOnly: true,
      sameSite: "Lax",
      path: "/auth",
      maxAge: STATE_TTL_MS / 1000,
      secure: secure(c.req.url),
    });
    return c.redirect(client.authorizeUrl(callbackUrl(c.req.url), state), 302);
  });

  api.route({
    method: "get",
    path: "/auth/callback",
    tag: "auth",
    auth: "none",
    summary: "Discord redirects here after login",
    query: z.object({
      code: z.string().max(512).optional(),
      state: z.string().max(128).optional(),
      error: z.string().max(200).optional(),
      error_description: z.string().max(1000).optional(),
    }),
    responses: { 200: "logged in (session cookie set)", 302: "to the CLI", 400: "login failed" },
  }, async (c, { query }) => {
    const client = oauth();
    if (query.error) {
      throw new ApiError(
        400,
        "login_denied",
        `Discord did not log you in (${
          query.error_description ?? query.error
        }); start again at /auth/login`,
      );
    }
    if (!query.code || !query.state) {
      throw new ApiError(400, "invalid_query", "code and state are required; start at /auth/login");
    }
    const cookie = await getSignedCookie(c, o.sessionSecret, STATE_COOKIE);
    const pending = await o.cache.get(`oauth:${query.state}`);
    if (typeof cookie !== "string" || !timingSafeEqual(cookie, query.state) || !pending) {
      throw new ApiError(
        400,
        "invalid_state",
        "this login link is expired or was started in another browser; start again at /auth/login",
      );
    }
    await o.cache.delete(`oauth:${query.state}`);
    deleteCookie(c, STATE_COOKIE, { path: "/auth" });
    const user = await client.userFromCode(query.code, callbackUrl(c.req.url));
    const cli = pending as { port?: number; state?: string; next?: string };
    if (cli.port) {
      const code = randomId();
      await o.cache.set(
        `clicode:${code}`,
        { id: user.id, username: user.username },
        CLI_CODE_TTL_MS,
      );
      const target = new URL(`http://127.0.0.1:${cli.port}/callback`);
      target.searchParams.set("code", code);
      target.searchParams.set("state", cli.state ?? "");
      return c.redirect(target.href, 302);
    }
    const session = await o.sessions.create(user.id, {
      username: user.username,
      managedGuilds: user.managedGuilds ?? [],
    }, o.sessionTtlMs);
    await setSignedCookie(c, SESSION_COOKIE, session.id, o.sessionSecret, {
      httpOnly: true,
      sameSite: "Lax",
      path: "/",
      maxAge: Math.floor(o.sessionTtlMs / 1000),
      secure: secure(c.req.url),
    });
    if (cli.next) return c.redirect(cli.next, 302);
    return c.json({ loggedIn: true, user: { id: user.id, username: user.username } });
  });

  api.route({
    method: "post",
    path: "/auth/cli/exchange",
    tag: "auth",
    auth: "none",
    summary: "Trade a one-time login code for an API token (flora login)",
    body: z.object({
      code: z.string().min(1).max(128),
      name: z.string().min(1).max(80).optional().describe("label for the token"),
    }).strict(),
    responses: { 201: "the token (shown once)", 400: "unknown or used code" },
  }, async (c, { body }) => {
    const user = await o.cache.get(`clicode:${body.code}`) as
      | { id: string; username: string }
      | undefined;
    if (!user || !await o.cache.delete(`clicode:${body.code}`)) {
      throw new ApiError(
        400,
        "invalid_code",
        "this login code is unknown, used or expired; run `flora login` again",
      );
    }
    const created = await o.tokens.create({
      name: body.name ?? "flora login",
      scopes: userScopes(user.id, user.username),
    });
    return c.json({ token: created.secret, info: tokenView(created.token), user }, 201);
  });

  api.route({
    method: "get",
    path: "/auth/me",
    tag: "auth",
    auth: "user",
    summary: "Who you are",
    responses: { 200: "the caller" },
  }, async (c, { principal }) =>
    c.json({
      ...whoami(principal),
      ...(principal.kind === "user" && principal.via === "session"
        ? { csrfToken: await csrfToken(principal.sessionId, o.sessionSecret) }
        : {}),
    }));

  api.route({
    method: "get",
    path: "/auth/guilds",
    tag: "auth",
    auth: "user",
    summary: "Guilds you manage where the bot is not (browser sessions), with an invite link",
    description: "From the guilds Discord listed at your login (owner, Administrator or Manage " +
      "Server). Guilds with the bot are at `GET /guilds`.",
    responses: { 200: "{ guilds: [{ id, name, inviteUrl }] }" },
  }, async (c, { principal }) => {
    if (principal.kind !== "user" || principal.via !== "session" || !o.oauth || !o.botGuilds) {
      return c.json({ guilds: [] });
    }
    const session = await o.sessions.get(principal.sessionId);
    const managed = (session?.data as { managedGuilds?: { id: string; name: string }[] } | null)
      ?.managedGuilds ?? [];
    const present = new Set((await o.botGuilds()).map((g) => g.id));
    const client = o.oauth;
    return c.json({
      guilds: managed.filter((g) => !present.has(g.id)).map((g) => ({
        id: g.id,
        name: g.name,
        inviteUrl: client.inviteUrl(g.id),
      })),
    });
  });

  api.route({
    method: "post",
    path: "/auth/logout",
    tag: "auth",
    auth: "user",
    summary: "End this session, or revoke the token used for this call",
    responses: { 200: "logged out" },
  }, async (c, { principal }) => {
    if (principal.kind === "operator") {
      throw new ApiError(
        400,
        "operator",
        "the operator token cannot be logged out; rotate it instead",
      );
    }
    if (principal.via === "session") {
      await o.sessions.delete(principal.sessionId);
      deleteCookie(c, SESSION_COOKIE, { path: "/" });
    } else {
      await o.tokens.revoke(principal.tokenId);
    }
    return c.json({ loggedOut: true });
  });

  api.route({
    method: "get",
    path: "/tokens",
    tag: "auth",
    auth: "user",
    summary: "Your API tokens (the operator sees all)",
    responses: { 200: "tokens without secrets" },
  }, async (c, { principal }) => {
    const all = await o.tokens.list();
    const mine = principal.kind === "operator"
      ? all
      : all.filter((t) => userIdOf(t.scopes) === principal.userId);
    return c.json({ tokens: mine.map(tokenView) });
  });

  api.route({
    method: "post",
    path: "/tokens",
    tag: "auth",
    auth: "user",
    summary: "Create an API token for yourself (shown once)",
    body: z.object({
      name: z.string().min(1).max(80),
      ttlDays: z.number().int().min(1).max(3650).optional().describe(
        "expires after this many days",
      ),
    }).strict(),
    responses: { 201: "the token (shown once)", 403: "the operator has no user to create it for" },
  }, async (c, { principal, body }) => {
    if (principal.kind === "operator") {
      throw new ApiError(
        403,
        "forbidden",
        "API tokens belong to a Discord user: log in (flora login) and create them as that user",
      );
    }
    const created = await o.tokens.create({
      name: body.name,
      scopes: userScopes(principal.userId, principal.username),
      ...(body.ttlDays ? { ttlMs: body.ttlDays * 86_400_000 } : {}),
    });
    return c.json({ token: created.secret, info: tokenView(created.token) }, 201);
  });

  api.route({
    method: "delete",
    path: "/tokens/:id",
    tag: "auth",
    auth: "user",
    summary: "Revoke one of your API tokens",
    params: z.object({ id: z.string().regex(/^[0-9A-Z]{26}$/, "must be a token id") }),
    responses: { 200: "revoked", 404: "no such token of yours" },
  }, async (c, { principal, params }) => {
    const token = (await o.tokens.list()).find((t) => t.id === params.id);
    const yours = token &&
      (principal.kind === "operator" || userIdOf(token.scopes) === principal.userId);
    if (!yours || !await o.tokens.revoke(params.id)) {
      throw new ApiError(404, "no_token", `you have no active token ${params.id}`);
    }
    return c.json({ revoked: true });
  });
}
