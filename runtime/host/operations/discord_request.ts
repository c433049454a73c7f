/**
 * One raw Discord REST request, answered in Discord's own shape (snake_case)
 * so scripts read the same objects the gateway sends them. Discord's
 * refusals become errors that say what Discord said.
 *
 * @module
 */

/** Sends one REST request; resolves with Discord's JSON (undefined for 204). */
export type DiscordRequest = (
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
  route: string,
  options?: { body?: Record<string, unknown> | unknown[]; reason?: string },
) => Promise<unknown>;

/** The slice of Discordeno's REST manager a {@linkcode DiscordRequest} is built on. */
export interface RawRest {
  makeRequest(
    method: string,
    route: string,
    options?: { body?: unknown; reason?: string },
  ): Promise<unknown>;
}

/** A request Discord refused, with its status and message. */
export class DiscordRefusal extends Error {
  override name = "DiscordRefusal";
  constructor(readonly status: number, readonly code: number, message: string) {
    super(message);
  }
}

/** The first `path: message` of Discord's nested form errors. */
function firstFieldError(errors: unknown, path: string): string | null {
  if (typeof errors !== "object" || errors === null) return null;
  const e = errors as Record<string, unknown>;
  if (Array.isArray(e._errors) && e._errors.length) {
    const first = e._errors[0] as { message?: unknown };
    return `${path || "body"}: ${String(first?.message ?? "invalid")}`;
  }
  for (const [key, value] of Object.entries(e)) {
    const found = firstFieldError(value, path ? `${path}.${key}` : key);
    if (found) return found;
  }
  return null;
}

/** Discord's status and error body from what Discordeno rejects with. */
export function refusalOf(error: unknown): DiscordRefusal | null {
  const cause = (error as { cause?: { status?: unknown; body?: unknown } } | null)?.cause;
  if (!cause || typeof cause.status !== "number") return null;
  let message = `HTTP ${cause.status}`;
  let code = 0;
  if (typeof cause.body === "string") {
    try {
      const body = JSON.parse(cause.body) as {
        message?: unknown;
        code?: unknown;
        errors?: unknown;
      };
      if (typeof body.message === "string") message = body.message;
      if (typeof body.code === "number") code = body.code;
      const detail = firstFieldError(body.errors, "");
      if (detail) message += ` (${detail})`;
    } catch {
      if (cause.body) message = cause.body.slice(0, 200);
    }
  }
  return new DiscordRefusal(cause.status, code, `Discord refused (${cause.status}): ${message}`);
}

/**
 * Wraps Discordeno's `makeRequest` (which keeps the rate-limit queue and
 * answers in Discord's shape) into a {@linkcode DiscordRequest}.
 *
 * @example
 * ```ts
 * const request = discordRequest(bot.rest as unknown as RawRest);
 * const roles = await request("GET", `/guilds/${guildId}/roles`);
 * ```
 */
export function discordRequest(rest: RawRest): DiscordRequest {
  return async (method, route, options) => {
    try {
      return await rest.makeRequest(method, route, options);
    } catch (error) {
      throw refusalOf(error) ?? error;
    }
  };
}
