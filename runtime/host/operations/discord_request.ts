/**
 * One raw Discord REST request, answered in Discord's own shape (snake_case)
 * so scripts read the same objects the gateway sends them. Discord's
 * refusals become errors that say what Discord said.
 *
 * @module
 */

import { type EffectFence, effectFence, EffectFenced } from "../../../shared/effect_fence.ts";

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
    options?: { body?: unknown; reason?: string; fence?: EffectFence },
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
    // A bus event's mutating call: checked now, and again by `fenceRestSends` once
    // Discordeno's queues let it go (they can wait for seconds).
    const fence = effectFence.getStore();
    fence?.check();
    try {
      return await rest.makeRequest(method, route, fence ? { ...options, fence } : options);
    } catch (error) {
      throw fencedCause(error) ?? refusalOf(error) ?? error;
    }
  };
}

/** The {@linkcode EffectFenced} refusal Discordeno wrapped (its rejections carry a `cause`). */
function fencedCause(error: unknown): EffectFenced | null {
  const cause = (error as { cause?: unknown } | null)?.cause;
  return cause instanceof EffectFenced ? cause : null;
}

/**
 * Awaits a request made through one of Discordeno's own helpers (e.g. an
 * interaction's answer), rethrowing a fenced refusal as the {@linkcode EffectFenced}
 * it is rather than Discordeno's "Failed to send request to discord.".
 */
export async function unwrapFenced<T>(request: Promise<T>): Promise<T> {
  try {
    return await request;
  } catch (error) {
    throw fencedCause(error) ?? error;
  }
}

/** The slice of Discordeno's REST manager {@linkcode fenceRestSends} hooks into. */
export interface FenceableRest extends RawRest {
  token: string;
  sendRequest(options: SendingRequest): Promise<void>;
  simplifyUrl(route: string, method: string): string;
  /** Discordeno's per-bucket queues, by authorization and simplified route. */
  queues: Map<string, { handleCompletedRequest(headers: { max?: number }): void }>;
}

/** What Discordeno's `sendRequest` gets: the options `makeRequest` was given, and its reject. */
interface SendingRequest {
  route: string;
  method: string;
  requestBodyOptions?: { fence?: EffectFence; headers?: { authorization?: string } };
  reject(reason: unknown): void;
}

/**
 * Checks each request's effect fence just before Discordeno sends it, after its rate-limit
 * queues (and the shared limits, when installed after this): a request refused there rejects
 * with {@linkcode EffectFenced} unsent. The fence rides in the request's options: set by
 * {@linkcode discordRequest}, or taken here from the call in progress when one of Discordeno's
 * own helpers (an interaction's answer) made the request — `makeRequest` runs in its caller's
 * async context, while `sendRequest` may run in whichever request's started the bucket's queue.
 */
export function fenceRestSends(rest: FenceableRest): void {
  const make = rest.makeRequest.bind(rest);
  rest.makeRequest = (method, route, options) => {
    const fence = options?.fence ?? effectFence.getStore();
    return make(method, route, fence ? { ...options, fence } : options);
  };
  const send = rest.sendRequest.bind(rest);
  rest.sendRequest = async (request) => {
    try {
      request.requestBodyOptions?.fence?.check();
    } catch (error) {
      // The slot its bucket's queue counted for it goes back (Discordeno's own answer to
      // "no limit" headers): else the queue would wait forever for this request's answer.
      const identifier = request.requestBodyOptions?.headers?.authorization ?? `Bot ${rest.token}`;
      const url = rest.simplifyUrl(request.route, request.method);
      rest.queues.get(`${identifier}${url}`)?.handleCompletedRequest({ max: 0 });
      request.reject(error);
      return;
    }
    return await send(request);
  };
}
