import {
  DISCORD_EPOCH,
  isSnowflake,
  shardForGuild,
  SnowflakeGenerator,
  snowflakeTime,
} from "./snowflake.ts";
import { botIdFromToken, makeToken } from "./token.ts";
import { assert, assertEquals } from "./test_helpers.ts";

Deno.test("snowflakes carry their timestamp and strictly increase", () => {
  const ids = new SnowflakeGenerator();
  const at = 1_700_000_000_000;
  const first = ids.next(at);
  const second = ids.next(at);
  assertEquals(snowflakeTime(first), at);
  assert(BigInt(second) > BigInt(first));
  assertEquals(BigInt(first) >> 22n, BigInt(at) - DISCORD_EPOCH);
  assert(isSnowflake(first));
  assert(!isSnowflake("12a"));
  // Discord's documented example: 175928847299117063 was minted 2016-04-30T11:18:25.796Z.
  assertEquals(
    new Date(snowflakeTime("175928847299117063")).toISOString(),
    "2016-04-30T11:18:25.796Z",
  );
});

Deno.test("shard routing follows (guild_id >> 22) % num_shards", () => {
  assertEquals(shardForGuild("175928847299117063", 1), 0);
  assertEquals(shardForGuild("175928847299117063", 2), Number((175928847299117063n >> 22n) % 2n));
});

Deno.test("tokens encode the bot id like Discord's", () => {
  const token = makeToken("175928847299117063");
  assertEquals(token.split(".").length, 3);
  assertEquals(botIdFromToken(token), "175928847299117063");
  assertEquals(botIdFromToken("not-a-token"), undefined);
});
