/**
 * Serves the dashboard at `/dashboard` from the API's own origin: the page
 * (with its Content-Security-Policy) and the built assets under a versioned
 * path, cached by browsers for good since a new build gets a new path.
 *
 * @module
 */

import type { ApiRouter } from "../api/routing.ts";
import { type DashboardAssets, dashboardAssets } from "./assets.ts";
import { registerLocalRoutes } from "./local_routes.ts";
import { DASHBOARD_CSP, dashboardPage } from "./page.ts";

/** Options of {@linkcode dashboardRoutes}. */
export interface DashboardOptions {
  /** The built-in emulator's address: turns on local mode (act as its users). */
  emulatorUrl?: string;
  /** Where assets come from (default: built from npm and cached, `assets.ts`). */
  assets?: () => Promise<DashboardAssets>;
}

/**
 * The dashboard's routes, for `createApi({ extraRoutes: [dashboardRoutes()] })`.
 *
 * @example
 * ```ts
 * const app = createApi({ ...options, extraRoutes: [dashboardRoutes({ emulatorUrl })] });
 * ```
 */
export function dashboardRoutes(options: DashboardOptions = {}): (router: ApiRouter) => void {
  const assets = options.assets ?? dashboardAssets;
  return (router) => {
    const app = router.app;
    app.get("/dashboard", async (c) => {
      const built = await assets();
      c.header("content-security-policy", DASHBOARD_CSP);
      c.header("cache-control", "no-store");
      c.header("referrer-policy", "no-referrer");
      return c.html(
        dashboardPage(`/dashboard/assets/${built.key}`, options.emulatorUrl !== undefined),
      );
    });
    app.get("/dashboard/assets/:key/:name", async (c) => {
      const built = await assets();
      const asset = built.files.get(c.req.param("name"));
      if (!asset || c.req.param("key") !== built.key) {
        return c.json({ error: { code: "not_found", message: "no such dashboard asset" } }, 404);
      }
      c.header("content-type", asset.contentType);
      c.header("cache-control", "public, max-age=31536000, immutable");
      c.header("content-security-policy", DASHBOARD_CSP);
      return c.body(asset.body);
    });
    if (options.emulatorUrl) registerLocalRoutes(router, options.emulatorUrl);
  };
}
