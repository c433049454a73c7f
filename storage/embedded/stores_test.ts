/** Contract runs of the embedded backend for tokens, secrets, sessions, cache, rate limits, logs and events. */

import { deploymentEventsContract } from "../contract/events_contract.ts";
import {
  cacheStoreContract,
  rateLimitStoreContract,
  sessionStoreContract,
} from "../contract/ephemeral_contract.ts";
import { CAPACITY, logStoreContract } from "../contract/logs_contract.ts";
import { secretStoreContract } from "../contract/secrets_contract.ts";
import { tokenStoreContract } from "../contract/tokens_contract.ts";
import { SecretCipher } from "../secrets_crypto.ts";
import { KvCacheStore } from "./cache.ts";
import { KvDeploymentEvents } from "./events.ts";
import { KvLogStore } from "./logs.ts";
import { KvRateLimitStore } from "./rate_limits.ts";
import { KvSecretStore } from "./secrets.ts";
import { KvSessionStore } from "./sessions.ts";
import { KvTokenStore } from "./tokens.ts";

/** A fresh in-memory KV with a store built on it. */
function onMemoryKv<T>(make: (kv: Deno.Kv) => T | Promise<T>) {
  return async () => {
    const kv = await Deno.openKv(":memory:");
    return { store: await make(kv), close: () => kv.close() };
  };
}

const key = crypto.getRandomValues(new Uint8Array(32));

tokenStoreContract("embedded", onMemoryKv((kv) => new KvTokenStore(kv)));
secretStoreContract(
  "embedded",
  onMemoryKv(async (kv) => new KvSecretStore(kv, await SecretCipher.fromRawKey(key))),
);
sessionStoreContract("embedded", onMemoryKv((kv) => new KvSessionStore(kv)));
cacheStoreContract("embedded", onMemoryKv((kv) => new KvCacheStore(kv)));
rateLimitStoreContract("embedded", onMemoryKv((kv) => new KvRateLimitStore(kv)));
logStoreContract("embedded", onMemoryKv((kv) => new KvLogStore(kv, { capacity: CAPACITY })));
deploymentEventsContract("embedded", onMemoryKv((kv) => new KvDeploymentEvents(kv)));
