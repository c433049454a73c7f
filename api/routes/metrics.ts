/**
 * `GET /metrics`: the host's metrics in Prometheus text format, for the
 * operator's scraper. Only the operator token may read them (they name
 * guilds' load and failures).
 *
 * @module
 */

import { Hono } from "hono";
import { timingSafeEqual } from "../auth.ts";
import { ApiError } from "../errors.ts";

/** Prometheus text exposition format 0.0.4. */
const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** The metrics route; `render` produces the exposition text at scrape time. */
export function metricsRoutes(render: () => string, operatorToken: string): Hono {
  const app = new Hono();
  app.get("/", (c) => {
    const match = /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "");
    if (!match) {
      throw new ApiError(
        401,
        "unauthorized",
        "send the operator token as 'Authorization: Bearer <token>'",
      );
    }
    if (!timingSafeEqual(match[1], operatorToken)) {
      throw new ApiError(403, "forbidden", "/metrics needs the operator token");
    }
    return c.body(render(), 200, { "content-type": CONTENT_TYPE });
  });
  return app;
}
