/**
 * Discord's OAuth2 authorization-code flow, for testing logins end to end:
 * `GET /oauth2/authorize` (a page where the tester picks which emulated user
 * logs in), `POST /oauth2/authorize` (that choice; redirects back with a
 * code), `POST /oauth2/token` (code or refresh token → access token),
 * `POST /oauth2/token/revoke`, and `/users/@me` + `/users/@me/guilds` with
 * `Authorization: Bearer <access token>` (Discord's documented shapes, with
 * each guild's `permissions` bits and `owner`).
 *
 * The client id is the application id; the client secret is
 * {@linkcode oauthClientSecret} of the bot token, so whoever started the
 * emulator can compute it.
 *
 * @module
 */

import type { Context, Hono } from "hono";
import type { EmulatorState } from "../state.ts";
import type { RestContext } from "./router.ts";

/** Access tokens live a week, as Discord's do. */
const ACCESS_TTL_S = 604_800;
/** Authorization codes must be redeemed within ten minutes. */
const CODE_TTL_MS = 10 * 60 * 1000;

interface Grant {
  userId: string;
  scopes: string[];
  redirectUri: string;
  expiresAt: number;
}

/** The OAuth2 client secret the emulator accepts for a bot token (stable per token). */
export function oauthClientSecret(botToken: string): string {
  // FNV-1a over the token, twice with different seeds: stable, not guessable without the token.
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < botToken.length; i++) {
    a = Math.imul(a ^ botToken.charCodeAt(i), 0x01000193) >>> 0;
    b = Math.imul(b ^ botToken.charCodeAt(i), 0x5bd1e995) >>> 0;
  }
  return `emu_${a.toString(16).padStart(8, "0")}${b.toString(16).padStart(8, "0")}`;
}

function random(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(20)), (x) => x.toString(16)).join("");
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function oauthError(c: Context, error: string, description: string, status: 400 | 401 = 400) {
  return c.json({ error, error_description: description }, status);
}

/** Reads client credentials from HTTP Basic or the form, as Discord accepts both. */
function clientCredentials(c: Context, form: URLSearchParams): { id?: string; secret?: string } {
  const basic = /^Basic\s+(\S+)$/i.exec(c.req.header("authorization") ?? "");
  if (basic) {
    try {
      const [id, secret] = atob(basic[1]).split(":");
      return { id, secret };
    } catch { /* fall through to the form */ }
  }
  return { id: form.get("client_id") ?? undefined, secret: form.get("client_secret") ?? undefined };
}

/** A user's guilds as `GET /users/@me/guilds` lists them for an OAuth2 token. */
function userGuilds(state: EmulatorState, userId: string) {
  return [...state.guilds.values()].filter((g) => g.members.has(userId)).map((g) => ({
    id: g.guild.id,
    name: g.guild.name,
    icon: g.guild.icon,
    banner: g.guild.banner,
    owner: g.guild.owner_id === userId,
    permissions: state.permissions(g.guild.id, userId).toString(),
    features: g.guild.features,
    approximate_member_count: g.members.size,
    approximate_presence_count: 0,
  }));
}

/** Registers the OAuth2 routes; call before the bot-token routes so Bearer calls land here. */
export function registerOAuthRoutes(app: Hono, ctx: RestContext): void {
  const { state } = ctx;
  const clientId = state.application.id;
  const clientSecret = oauthClientSecret(ctx.token);
  const codes = new Map<string, Grant>();
  const access = new Map<string, Grant & { refreshToken: string }>();
  const refresh = new Map<string, string>();

  const authorizeParams = (params: URLSearchParams) => {
    const problems: string[] = [];
    if (params.get("client_id") !== clientId) problems.push(`client_id must be ${clientId}`);
    if (params.get("response_type") !== "code") problems.push("response_type must be code");
    const redirectUri = params.get("redirect_uri") ?? "";
    if (!/^https?:\/\//.test(redirectUri)) problems.push("redirect_uri must be an http(s) URL");
    const scopes = (params.get("scope") ?? "").split(/[\s+]+/).filter(Boolean);
    if (!scopes.includes("identify")) problems.push("scope must include identify");
    return { problems, redirectUri, scopes, state: params.get("state") };
  };

  app.get("/oauth2/authorize", (c) => {
    const query = new URL(c.req.url).searchParams;
    const request = authorizeParams(query);
    if (request.problems.length > 0) {
      return c.html(
        `<h1>Invalid OAuth2 request</h1><p>${escapeHtml(request.problems.join("; "))}</p>`,
        400,
      );
    }
    const hidden = [...query.entries()].map(([k, v]) =>
      `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`
    ).join("");
    const users = [...state.users.values()].filter((u) => !u.bot);
    const buttons = users.map((u) =>
      `<button name="user_id" value="${u.id}">Log in as ${
        escapeHtml(u.global_name ?? u.username)
      } (${u.id})</button>`
    ).join("<br>");
    return c.html(
      `<!doctype html><title>Authorize ${escapeHtml(state.application.name)}</title>` +
        `<h1>${escapeHtml(state.application.name)} wants to access your account</h1>` +
        `<p>Scopes: ${escapeHtml(request.scopes.join(", "))}</p>` +
        `<form method="post">${hidden}${buttons}</form>`,
    );
  });

  app.post("/oauth2/authorize", async (c) => {
    const form = new URLSearchParams(await c.req.text());
    const request = authorizeParams(form);
    if (request.problems.length > 0) {
      return oauthError(c, "invalid_request", request.problems.join("; "));
    }
    const userId = form.get("user_id") ?? "";
    if (!state.users.has(userId) || state.users.get(userId)?.bot) {
      return oauthError(c, "invalid_request", "user_id must be a (non-bot) user of the emulator");
    }
    const code = random();
    codes.set(code, {
      userId,
      scopes: request.scopes,
      redirectUri: request.redirectUri,
      expiresAt: Date.now() + CODE_TTL_MS,
    });
    const target = new URL(request.redirectUri);
    target.searchParams.set("code", code);
    if (request.state !== null) target.searchParams.set("state", request.state);
    return c.redirect(target.href, 302);
  });

  const issue = (grant: Grant) => {
    const token = random();
    const refreshToken = random();
    access.set(token, { ...grant, expiresAt: Date.now() + ACCESS_TTL_S * 1000, refreshToken });
    refresh.set(refreshToken, token);
    return {
      access_token: token,
      token_type: "Bearer",
      expires_in: ACCESS_TTL_S,
      refresh_token: refreshToken,
      scope: grant.scopes.join(" "),
    };
  };

  app.post("/oauth2/token", async (c) => {
    const form = new URLSearchParams(await c.req.text());
    const client = clientCredentials(c, form);
    if (client.id !== clientId || client.secret !== clientSecret) {
      return oauthError(c, "invalid_client", "unknown client or wrong client secret", 401);
    }
    const grantType = form.get("grant_type");
    if (grantType === "authorization_code") {
      const grant = codes.get(form.get("code") ?? "");
      codes.delete(form.get("code") ?? "");
      if (!grant || grant.expiresAt < Date.now()) {
        return oauthError(c, "invalid_grant", 'Invalid "code" in request.');
      }
      if (form.get("redirect_uri") !== grant.redirectUri) {
        return oauthError(c, "invalid_grant", 'Invalid "redirect_uri" in request.');
      }
      return c.json(issue(grant));
    }
    if (grantType === "refresh_token") {
      const old = refresh.get(form.get("refresh_token") ?? "");
      const grant = old ? access.get(old) : undefined;
      if (!old || !grant) {
        return oauthError(c, "invalid_grant", 'Invalid "refresh_token" in request.');
      }
      access.delete(old);
      refresh.delete(grant.refreshToken);
      return c.json(issue(grant));
    }
    return oauthError(
      c,
      "unsupported_grant_type",
      "grant_type must be authorization_code or refresh_token",
    );
  });

  app.post("/oauth2/token/revoke", async (c) => {
    const form = new URLSearchParams(await c.req.text());
    const client = clientCredentials(c, form);
    if (client.id !== clientId || client.secret !== clientSecret) {
      return oauthError(c, "invalid_client", "unknown client or wrong client secret", 401);
    }
    const token = form.get("token") ?? "";
    const byRefresh = refresh.get(token);
    const accessToken = byRefresh ?? token;
    const grant = access.get(accessToken);
    if (grant) refresh.delete(grant.refreshToken);
    access.delete(accessToken);
    return c.json({});
  });

  /** The grant behind a Bearer header, or a Discord 401 response. */
  const bearer = (c: Context, scope: string) => {
    const match = /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "");
    if (!match) return null;
    const grant = access.get(match[1]);
    if (!grant || grant.expiresAt < Date.now()) {
      return c.json({ message: "401: Unauthorized", code: 0 }, 401);
    }
    if (!grant.scopes.includes(scope)) {
      return c.json({ message: "401: Unauthorized", code: 0 }, 401);
    }
    return grant;
  };

  app.use("/users/@me", async (c, next) => {
    if (c.req.method !== "GET") return await next();
    const grant = bearer(c, "identify");
    if (grant === null) return await next();
    if (grant instanceof Response) return grant;
    const user = state.user(grant.userId);
    return c.json({
      ...user,
      banner: null,
      accent_color: null,
      locale: "en-US",
      mfa_enabled: false,
      premium_type: 0,
      ...(grant.scopes.includes("email")
        ? { email: `${user.username}@emulator.invalid`, verified: true }
        : {}),
    });
  });

  app.use("/users/@me/guilds", async (c, next) => {
    if (c.req.method !== "GET") return await next();
    const grant = bearer(c, "guilds");
    if (grant === null) return await next();
    if (grant instanceof Response) return grant;
    return c.json(userGuilds(state, grant.userId));
  });
}
