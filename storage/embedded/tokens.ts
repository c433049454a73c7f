/**
 * TokenStore on Deno KV: `["token", id]` holds the token and its hash,
 * `["tokenhash", sha256]` → id makes `verify` a single lookup. The hash
 * index is removed on revoke; the token stays for audit.
 *
 * @module
 */

import { newId } from "../ids.ts";
import { checkNewToken, hashTokenSecret, newTokenSecret, tokenIdOf } from "../tokens_common.ts";
import type { ApiToken, NewApiToken, TokenStore } from "../types.ts";
import { AGAIN, done, retryAtomic, write } from "./retry.ts";

interface StoredToken {
  token: ApiToken;
  hash: string;
}

const tokenKey = (id: string): Deno.KvKey => ["token", id];
const hashKey = (hash: string): Deno.KvKey => ["tokenhash", hash];

export class KvTokenStore implements TokenStore {
  readonly #kv: Deno.Kv;

  constructor(kv: Deno.Kv) {
    this.#kv = kv;
  }

  async create(input: NewApiToken): Promise<{ token: ApiToken; secret: string }> {
    const now = Date.now();
    const expiresAt = checkNewToken(input, now);
    const id = newId(now);
    const secret = newTokenSecret(id);
    const hash = await hashTokenSecret(secret);
    const token: ApiToken = {
      id,
      name: input.name,
      scopes: [...input.scopes],
      createdAt: new Date(now).toISOString(),
      ...(expiresAt === undefined ? {} : { expiresAt: new Date(expiresAt).toISOString() }),
    };
    const result = await write("create token", () =>
      this.#kv.atomic()
        .check({ key: tokenKey(id), versionstamp: null })
        .check({ key: hashKey(hash), versionstamp: null })
        .set(tokenKey(id), { token, hash } satisfies StoredToken)
        .set(hashKey(hash), id)
        .commit());
    if (!result.ok) throw new Error("token id or hash collision (should be impossible)");
    return { token, secret };
  }

  async verify(secret: string): Promise<ApiToken | null> {
    const id = tokenIdOf(secret);
    if (id === null) return null;
    const hash = await hashTokenSecret(secret);
    const [indexed, stored] = await this.#kv.getMany<[string, StoredToken]>([
      hashKey(hash),
      tokenKey(id),
    ]);
    if (indexed.value !== id || stored.value === null || stored.value.hash !== hash) return null;
    return usable(stored.value.token, Date.now()) ? stored.value.token : null;
  }

  async revoke(id: string): Promise<boolean> {
    if (typeof id !== "string" || id.length === 0) return false;
    return await retryAtomic("revoke token", async () => {
      const stored = await this.#kv.get<StoredToken>(tokenKey(id));
      if (stored.value === null || stored.value.token.revokedAt !== undefined) return done(false);
      const token = { ...stored.value.token, revokedAt: new Date().toISOString() };
      const result = await this.#kv.atomic()
        .check(stored)
        .set(tokenKey(id), { token, hash: stored.value.hash } satisfies StoredToken)
        .delete(hashKey(stored.value.hash))
        .commit();
      return result.ok ? done(true) : AGAIN;
    });
  }

  async list(): Promise<ApiToken[]> {
    const tokens: ApiToken[] = [];
    for await (
      const entry of this.#kv.list<StoredToken>({ prefix: ["token"] }, { reverse: true })
    ) {
      tokens.push(entry.value.token);
    }
    return tokens;
  }
}

/** Not revoked and not expired at `now`. */
export function usable(token: ApiToken, now: number): boolean {
  if (token.revokedAt !== undefined) return false;
  return token.expiresAt === undefined || Date.parse(token.expiresAt) > now;
}
