/**
 * Assembles Discord's REST API (`/api/v10`, also answering `/api/v9`) from
 * the per-resource modules, with Discord's 404/405 bodies for the rest.
 *
 * @module
 */

import { Hono } from "hono";
import { registerAuditLogRoutes } from "./audit_logs.ts";
import { registerChannelRoutes } from "./channels.ts";
import { registerCommandRoutes } from "./commands.ts";
import { registerGuildRoutes } from "./guilds.ts";
import { registerInteractionRoutes } from "./interactions.ts";
import { registerMessageRoutes } from "./messages.ts";
import { registerMetaRoutes, type SessionStartLimit } from "./meta.ts";
import { registerOAuthRoutes } from "./oauth.ts";
import { registerOverwriteRoutes } from "./permission_overwrites.ts";
import { registerReactionRoutes } from "./reactions.ts";
import { registerRoleRoutes } from "./roles.ts";
import { registerThreadRoutes } from "./threads.ts";
import { knownPath, type RestContext } from "./router.ts";
import { registerWebhookRoutes } from "./webhooks.ts";

export type { RestContext } from "./router.ts";

/** The REST app, to be mounted under `/api/v10`. */
export function createRestApp(ctx: RestContext, starts: SessionStartLimit): Hono {
  const app = new Hono();
  registerOAuthRoutes(app, ctx);
  registerMetaRoutes(app, ctx, starts);
  registerMessageRoutes(app, ctx);
  registerReactionRoutes(app, ctx);
  registerChannelRoutes(app, ctx);
  registerOverwriteRoutes(app, ctx);
  registerThreadRoutes(app, ctx);
  registerGuildRoutes(app, ctx);
  registerRoleRoutes(app, ctx);
  registerCommandRoutes(app, ctx);
  registerInteractionRoutes(app, ctx);
  registerWebhookRoutes(app, ctx);
  registerAuditLogRoutes(app, ctx);
  // Unmatched requests: a known path with another method is Discord's 405.
  app.all("*", (c) => {
    const path = c.req.path.replace(/^\/api\/v\d+/, "");
    return knownPath(app, path)
      ? c.json({ message: "405: Method Not Allowed", code: 0 }, 405)
      : c.json({ message: "404: Not Found", code: 0 }, 404);
  });
  return app;
}
