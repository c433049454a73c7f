/**
 * The API's settings from the environment: Discord OAuth2 login, the public
 * URL (for redirects), CORS origins, rate limits and body limits. Every
 * problem is reported at start with what to fix.
 *
 * @module
 */

/** Where and how to run Discord's OAuth2 authorization-code flow. */
export interface OAuthSettings {
  clientId: string;
  clientSecret: string;
  /** Discord's authorize page, e.g. `https://discord.com/oauth2/authorize`. */
  authorizeUrl: string;
  /** Discord's REST base including the version, e.g. `https://discord.com/api/v10`. */
  apiBase: string;
}

/** Tunables of the API; every field has a default except OAuth. */
export interface ApiSettings {
  /** Base URL users reach the API at (OAuth redirect URIs are built from it). */
  publicUrl?: string;
  /** Absent: browser login is off (API tokens and the operator token still work). */
  oauth?: OAuthSettings;
  /** Origins allowed by CORS (exact match); empty: no cross-origin access. */
  corsOrigins: string[];
  /** Requests each token (or anonymous address) may make per window. */
  rateLimit: { requests: number; windowMs: number };
  /** Largest JSON body of routes other than deploy, bytes. */
  maxBodyBytes: number;
  /** Largest script bundle, bytes. */
  maxBundleBytes: number;
  /** Login session lifetime, ms. */
  sessionTtlMs: number;
  /** How long a guild permission check against Discord is reused, ms. */
  accessCacheMs: number;
  /** How long a caller's list of manageable guilds (`GET /guilds`) is reused, ms. */
  guildListCacheMs: number;
}

export const DEFAULT_API_SETTINGS: ApiSettings = {
  corsOrigins: [],
  rateLimit: { requests: 300, windowMs: 60_000 },
  maxBodyBytes: 1024 * 1024,
  maxBundleBytes: 4 * 1024 * 1024,
  sessionTtlMs: 7 * 24 * 3600 * 1000,
  accessCacheMs: 60_000,
  guildListCacheMs: 15_000,
};

/** Invalid API settings, one problem per line. */
export class ApiConfigError extends Error {
  override name = "ApiConfigError";
}

function positive(env: Record<string, string | undefined>, name: string, fallback: number) {
  const text = env[name]?.trim();
  if (!text) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new ApiConfigError(
      `${name} must be a positive whole number (got ${JSON.stringify(text)})`,
    );
  }
  return value;
}

/**
 * Reads `FLORA_PUBLIC_URL`, `DISCORD_CLIENT_ID`, `DISCORD_CLIENT_SECRET`,
 * `FLORA_CORS_ORIGINS` (comma-separated), `FLORA_RATE_LIMIT` (requests per
 * minute per token) and `FLORA_MAX_BUNDLE_BYTES`.
 *
 * @example
 * ```ts
 * const settings = readApiSettings({ FLORA_CORS_ORIGINS: "https://dash.example.com" });
 * ```
 */
export function readApiSettings(env: Record<string, string | undefined>): ApiSettings {
  const settings: ApiSettings = { ...DEFAULT_API_SETTINGS };
  const origins = (env.FLORA_CORS_ORIGINS ?? "").split(",").map((o) => o.trim()).filter(Boolean);
  for (const origin of origins) {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new ApiConfigError(`FLORA_CORS_ORIGINS: ${JSON.stringify(origin)} is not a URL`);
    }
    if (url.origin !== origin) {
      throw new ApiConfigError(
        `FLORA_CORS_ORIGINS: write origins without a path, e.g. ${url.origin} (got ${origin})`,
      );
    }
  }
  settings.corsOrigins = origins;
  settings.rateLimit = {
    requests: positive(env, "FLORA_RATE_LIMIT", DEFAULT_API_SETTINGS.rateLimit.requests),
    windowMs: 60_000,
  };
  settings.maxBundleBytes = positive(
    env,
    "FLORA_MAX_BUNDLE_BYTES",
    DEFAULT_API_SETTINGS.maxBundleBytes,
  );
  const publicUrl = env.FLORA_PUBLIC_URL?.trim();
  if (publicUrl) {
    try {
      settings.publicUrl = new URL(publicUrl).href.replace(/\/+$/, "");
    } catch {
      throw new ApiConfigError(`FLORA_PUBLIC_URL must be a URL (got ${JSON.stringify(publicUrl)})`);
    }
  }
  const clientId = env.DISCORD_CLIENT_ID?.trim();
  const clientSecret = env.DISCORD_CLIENT_SECRET?.trim();
  if (clientId || clientSecret) {
    if (!clientId || !/^\d{17,20}$/.test(clientId) || !clientSecret) {
      throw new ApiConfigError(
        "browser login needs both DISCORD_CLIENT_ID (the application id) and DISCORD_CLIENT_SECRET",
      );
    }
    settings.oauth = {
      clientId,
      clientSecret,
      authorizeUrl: "https://discord.com/oauth2/authorize",
      apiBase: "https://discord.com/api/v10",
    };
  }
  return settings;
}
