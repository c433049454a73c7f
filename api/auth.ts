/**
 * Bearer-token authentication for the API. The skeleton knows one token,
 * the operator's; user tokens come with the storage layer.
 *
 * @module
 */

import type { MiddlewareHandler } from "hono";
import { errorResponse } from "./errors.ts";

/** Compares two strings in time independent of where they differ. */
export function timingSafeEqual(a: string, b: string): boolean {
  const ea = new TextEncoder().encode(a);
  const eb = new TextEncoder().encode(b);
  let diff = ea.length ^ eb.length;
  for (let i = 0; i < Math.max(ea.length, eb.length); i++) diff |= (ea[i] ?? 0) ^ (eb[i] ?? 0);
  return diff === 0;
}

/** Requires `Authorization: Bearer <operator token>`. */
export function requireOperator(
  operatorToken: string,
): MiddlewareHandler<{ Variables: { actor: string } }> {
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) {
      return errorResponse(
        c,
        401,
        "unauthorized",
        "send your API token as 'Authorization: Bearer <token>'",
      );
    }
    if (!timingSafeEqual(match[1], operatorToken)) {
      return errorResponse(c, 401, "unauthorized", "this API token is not valid");
    }
    c.set("actor", "operator");
    await next();
  };
}
