/**
 * SessionStore on Deno KV: `["session", id]` with `expireIn`, and the stored
 * `expiresAt` checked on read because Deno KV deletes expired keys lazily.
 *
 * @module
 */

import {
  checkTtl,
  checkUserId,
  encodeEphemeralValue,
  isSessionId,
  newSessionId,
} from "../ephemeral_common.ts";
import type { JsonValue, Session, SessionStore } from "../types.ts";
import { AGAIN, done, retryAtomic, write } from "./retry.ts";

const sessionKey = (id: string): Deno.KvKey => ["session", id];

export class KvSessionStore implements SessionStore {
  readonly #kv: Deno.Kv;

  constructor(kv: Deno.Kv) {
    this.#kv = kv;
  }

  async create(userId: string, data: JsonValue, ttlMs: number): Promise<Session> {
    checkUserId(userId);
    const ttl = checkTtl(ttlMs, "ttlMs");
    encodeEphemeralValue(data, "session data");
    const now = Date.now();
    const session: Session = {
      id: newSessionId(),
      userId,
      data: structuredClone(data),
      createdAt: new Date(now).toISOString(),
      expiresAt: now + ttl,
    };
    await write(
      "create session",
      () => this.#kv.set(sessionKey(session.id), session, { expireIn: ttl }),
    );
    return session;
  }

  async get(id: string): Promise<Session | null> {
    if (!isSessionId(id)) return null;
    const entry = await this.#kv.get<Session>(sessionKey(id));
    return entry.value !== null && entry.value.expiresAt > Date.now() ? entry.value : null;
  }

  async touch(id: string, ttlMs: number): Promise<Session | null> {
    const ttl = checkTtl(ttlMs, "ttlMs");
    if (!isSessionId(id)) return null;
    return await retryAtomic("touch session", async () => {
      const entry = await this.#kv.get<Session>(sessionKey(id));
      const now = Date.now();
      if (entry.value === null || entry.value.expiresAt <= now) return done(null);
      const session = { ...entry.value, expiresAt: now + ttl };
      const result = await this.#kv.atomic()
        .check(entry)
        .set(sessionKey(id), session, { expireIn: ttl })
        .commit();
      return result.ok ? done(session) : AGAIN;
    });
  }

  async delete(id: string): Promise<boolean> {
    if (!isSessionId(id)) return false;
    return await retryAtomic("delete session", async () => {
      const entry = await this.#kv.get<Session>(sessionKey(id));
      if (entry.value === null) return done(false);
      const result = await this.#kv.atomic().check(entry).delete(sessionKey(id)).commit();
      return result.ok ? done(entry.value.expiresAt > Date.now()) : AGAIN;
    });
  }
}
