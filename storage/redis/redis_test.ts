/** Contract runs of the Redis backend against a real server (key prefix per fixture, deleted after). */

import { deploymentEventsContract } from "../contract/events_contract.ts";
import {
  cacheStoreContract,
  rateLimitStoreContract,
  sessionStoreContract,
} from "../contract/ephemeral_contract.ts";
import type { Fixture } from "../contract/harness.ts";
import { redisGate, TEST_REDIS_URL, uniqueName } from "../testing/servers.ts";
import { deleteKeysWithPrefix } from "./connect.ts";
import { openRedisStorage, type RedisStorage } from "./open.ts";

const gate = await redisGate();

async function withPrefix<T>(pick: (storage: RedisStorage) => T): Promise<Fixture<T>> {
  const prefix = `${uniqueName("flora_test")}:`;
  const storage = await openRedisStorage(TEST_REDIS_URL, prefix);
  return {
    store: pick(storage),
    async close() {
      await deleteKeysWithPrefix(storage.client, prefix);
      await storage.close();
    },
  };
}

const options = { ignore: gate.ignore };
sessionStoreContract(`redis${gate.note}`, () => withPrefix((s) => s.sessions), options);
cacheStoreContract(`redis${gate.note}`, () => withPrefix((s) => s.cache), options);
rateLimitStoreContract(`redis${gate.note}`, () => withPrefix((s) => s.rateLimits), options);
deploymentEventsContract(`redis${gate.note}`, () => withPrefix((s) => s.events), options);
