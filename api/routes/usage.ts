/**
 * `GET /guilds/:guild/usage`: what a guild used over the last 24 hours, hour
 * by hour — events handled and dropped, handler CPU, Discord calls and 429s,
 * KV operations, errors and restarts, as the runtime counted them.
 *
 * @module
 */

import { z } from "zod";
import { type ApiRouter, snowflake } from "../routing.ts";

/** One hour of a guild's figures (the runtime's `UsageHour`). */
export type UsageHourView = { start: string } & Record<string, number | string>;

/** Where the figures come from (the runtime's per-guild usage counters). */
export interface UsageSource {
  report(guildId: string): {
    guildId: string;
    hours: UsageHourView[];
    totals: Record<string, number>;
  };
}

/** Registers `GET /guilds/:guild/usage`. */
export function registerUsageRoutes(api: ApiRouter, usage: UsageSource): void {
  api.route({
    method: "get",
    path: "/guilds/:guild/usage",
    tag: "guilds",
    auth: "user",
    summary: "The guild's usage over the last 24 hours, hour by hour",
    description: "Each hour (oldest first, the current hour last) has `eventsHandled`, " +
      "`eventsDropped`, `cpuMs` (the script's worker thread), `discordCalls`, `discord429`, " +
      "`kvOps`, `errors` (handlers that threw) and `restarts` (the script stopped while " +
      "serving); `totals` sums them. Counted in memory by the host that serves the guild.",
    params: z.object({ guild: snowflake }),
    responses: { 200: "{ guildId, hours, totals }" },
  }, (c, { params }) => c.json(usage.report(params.guild)));
}
