/**
 * `/guilds`: the guilds the caller may manage (the bot is in them and the
 * caller holds Administrator or Manage Server), with each one's live
 * deployment.
 *
 * @module
 */

import type { DeploymentStore } from "../../storage/types.ts";
import type { GuildAccess } from "../access.ts";
import type { ApiRouter } from "../routing.ts";
import { summarize } from "./deployments.ts";

/** Registers `GET /guilds`. */
export function registerGuildRoutes(
  api: ApiRouter,
  deps: { access: GuildAccess; deployments: DeploymentStore; listCacheMs: number },
): void {
  api.route({
    method: "get",
    path: "/guilds",
    tag: "guilds",
    auth: "user",
    summary: "Guilds you may manage",
    description: "The list of guilds is reused for a few seconds (`guildListCacheMs`); each " +
      "guild's deployment is read live.",
    responses: {
      200: "the guilds, each with its live deployment (or null)",
      502: "Discord could not be reached, or answered with an error",
      503: "Discord is rate limiting flora (`discord_busy`; try again after the time given)",
    },
  }, async (c, { principal }) => {
    const manageable = await deps.access.manageableGuilds(principal, deps.listCacheMs);
    const guilds = await Promise.all(
      manageable.map(async (g) => {
        const current = await deps.deployments.current(g.id);
        return { ...g, deployment: current ? summarize(current) : null };
      }),
    );
    return c.json({ guilds });
  });
}
