/**
 * The API's error shape: `{ error: { code, message, requestId } }`, with a
 * message that says what to fix and the request id to quote in a report.
 *
 * @module
 */

import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * An error the API reports to the client as-is. Routes throw it; the app's
 * one error handler turns it into the response (`errorResponse`).
 *
 * @example
 * ```ts
 * throw new ApiError(404, "no_deployment", "this guild has no active deployment");
 * ```
 */
export class ApiError extends Error {
  override name = "ApiError";
  /** @param options `cause`: the error behind this one, kept for logs (never sent). */
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Sends an error response carrying the request id. */
export function errorResponse(
  c: Context,
  status: ContentfulStatusCode,
  code: string,
  message: string,
) {
  const requestId = c.get("requestId") as string | undefined;
  return c.json({ error: { code, message, ...(requestId ? { requestId } : {}) } }, status);
}
