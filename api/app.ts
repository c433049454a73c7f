/**
 * The flora HTTP API: a Hono app composed of small route modules.
 *
 * @module
 */

import { Hono } from "hono";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import type { DeploymentStore } from "../storage/types.ts";
import { requireOperator } from "./auth.ts";
import { errorResponse } from "./errors.ts";
import { deploymentRoutes, type DeployService } from "./routes/deployments.ts";

export interface ApiOptions {
  deployments: DeploymentStore;
  deployer: DeployService;
  operatorToken: string;
  /** Largest accepted script bundle, bytes (default 4 MiB). */
  maxBundleBytes?: number;
  /** Extra fields for `/health` (e.g. gateway state). */
  health?: () => Record<string, unknown>;
}

/** Builds the API app. */
export function createApi(options: ApiOptions) {
  const app = new Hono<{ Variables: { actor: string; requestId: string } }>();
  app.use(requestId());
  app.use(secureHeaders());

  app.get("/health", (c) => c.json({ status: "ok", ...(options.health?.() ?? {}) }));

  app.use("/deployments/*", requireOperator(options.operatorToken));
  app.route(
    "/deployments",
    deploymentRoutes({
      store: options.deployments,
      deployer: options.deployer,
      maxBundleBytes: options.maxBundleBytes ?? 4 * 1024 * 1024,
    }),
  );

  app.notFound((c) =>
    errorResponse(c, 404, "not_found", `no route for ${c.req.method} ${c.req.path}`)
  );
  app.onError((error, c) => {
    console.error(`[api] ${c.get("requestId")} ${c.req.method} ${c.req.path}:`, error);
    return errorResponse(c, 500, "internal", `internal error (request id ${c.get("requestId")})`);
  });
  return app;
}
