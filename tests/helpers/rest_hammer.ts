/**
 * A child process that stands in for one runtime node's REST traffic: flora's
 * own REST client (Discordeno's manager as `createGateway` makes it, through
 * `discordRequest`), optionally behind the cluster's shared limits in Redis,
 * sending a burst of requests at a given moment. Prints one JSON line.
 *
 * Environment: DISCORD_TOKEN, DISCORD_API_URL; HAMMER_ROUTES (comma list of
 * `METHOD /route`, used round-robin), HAMMER_COUNT, HAMMER_START_AT (epoch
 * ms); with REDIS_URL also HAMMER_PREFIX and HAMMER_NODE (shared limits on),
 * and HAMMER_SHARED_BUCKETS=1 to share guild and channel buckets in Redis too.
 *
 * @module
 */

import { createGateway } from "../../runtime/host/gateway.ts";
import { discordRequest, type RawRest } from "../../runtime/host/operations/discord_request.ts";
import { connectRedis } from "../../storage/redis/connect.ts";
import { SharedRestLimits } from "../../runtime/cluster/shared_rest_limits.ts";
import { type LimitableRest, shareRestLimits } from "../../runtime/cluster/share_rest_limits.ts";

const env = (name: string) => {
  const value = Deno.env.get(name);
  if (!value) throw new Error(`rest_hammer: ${name} is required`);
  return value;
};
const bot = createGateway({
  token: env("DISCORD_TOKEN"),
  restBase: env("DISCORD_API_URL"),
  onPayload: () => {},
});
const redisUrl = Deno.env.get("REDIS_URL");
const redis = redisUrl ? await connectRedis(redisUrl) : null;
let limits: SharedRestLimits | null = null;
let redisErrors = 0;
if (redis) {
  limits = new SharedRestLimits(redis, {
    nodeId: env("HAMMER_NODE"),
    prefix: env("HAMMER_PREFIX"),
    localBuckets: Deno.env.get("HAMMER_SHARED_BUCKETS") !== "1",
  });
  shareRestLimits(bot.rest as unknown as LimitableRest, limits, () => redisErrors++);
}
const request = discordRequest(bot.rest as unknown as RawRest);
const routes = env("HAMMER_ROUTES").split(",").map((r) => r.split(" ") as ["GET" | "POST", string]);
const count = Number(env("HAMMER_COUNT"));
await new Promise((r) => setTimeout(r, Math.max(0, Number(env("HAMMER_START_AT")) - Date.now())));
const started = performance.now();
let failed = 0;
await Promise.all(Array.from({ length: count }, async (_, i) => {
  const [method, route] = routes[i % routes.length];
  await request(method, route, method === "POST" ? { body: { content: `#${i}` } } : {})
    .catch(() => failed++);
}));
console.log(JSON.stringify({
  sent: count,
  failed,
  ms: Math.round(performance.now() - started),
  waitedMs: Math.round(limits?.waitedMs ?? 0),
  redisErrors,
}));
await redis?.close();
Deno.exit(0);
