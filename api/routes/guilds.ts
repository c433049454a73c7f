/**
 * `/guilds`: the guilds the caller may manage (the bot is in them and the
 * caller holds Administrator or Manage Server), with each one's live
 * deployment.
 *
 * @module
 */

import type { DeploymentStore } from "../../storage/types.ts";
import type { GuildAccess } from "../access.ts";
import type { DiscordDirectory } from "../discord.ts";
import type { ApiRouter } from "../routing.ts";
import { summarize } from "./deployments.ts";

/** Registers `GET /guilds`. */
export function registerGuildRoutes(
  api: ApiRouter,
  deps: { discord: DiscordDirectory; access: GuildAccess; deployments: DeploymentStore },
): void {
  api.route({
    method: "get",
    path: "/guilds",
    tag: "guilds",
    auth: "user",
    summary: "Guilds you may manage",
    responses: { 200: "the guilds, each with its live deployment (or null)" },
  }, async (c, { principal }) => {
    const all = await deps.discord.botGuilds();
    const allowed = await Promise.all(all.map((g) => deps.access.canManage(principal, g.id)));
    const guilds = await Promise.all(
      all.filter((_, i) => allowed[i]).map(async (g) => {
        const current = await deps.deployments.current(g.id);
        return { ...g, deployment: current ? summarize(current) : null };
      }),
    );
    return c.json({ guilds });
  });
}
