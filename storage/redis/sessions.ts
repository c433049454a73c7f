/**
 * SessionStore on Redis: `<prefix>session:<id>` → JSON, expiring at the
 * session's `expiresAt` (PXAT), which is also checked on read so a session
 * is never returned after the time it reports.
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
import type { RedisClient } from "./connect.ts";

export class RedisSessionStore implements SessionStore {
  readonly #redis: RedisClient;
  readonly #prefix: string;

  constructor(redis: RedisClient, prefix = "flora:") {
    this.#redis = redis;
    this.#prefix = `${prefix}session:`;
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
    await this.#redis.set(this.#prefix + session.id, JSON.stringify(session), {
      expiration: { type: "PXAT", value: session.expiresAt },
      condition: "NX",
    });
    return session;
  }

  async get(id: string): Promise<Session | null> {
    if (!isSessionId(id)) return null;
    const text = await this.#redis.get(this.#prefix + id);
    if (text === null) return null;
    const session: Session = JSON.parse(text);
    return session.expiresAt > Date.now() ? session : null;
  }

  async touch(id: string, ttlMs: number): Promise<Session | null> {
    const ttl = checkTtl(ttlMs, "ttlMs");
    const session = await this.get(id);
    if (session === null) return null;
    const touched = { ...session, expiresAt: Date.now() + ttl };
    // XX: a session deleted meanwhile is not brought back.
    const reply = await this.#redis.set(this.#prefix + id, JSON.stringify(touched), {
      expiration: { type: "PXAT", value: touched.expiresAt },
      condition: "XX",
    });
    return reply === null ? null : touched;
  }

  async delete(id: string): Promise<boolean> {
    if (!isSessionId(id)) return false;
    const text = await this.#redis.getDel(this.#prefix + id);
    if (text === null) return false;
    return (JSON.parse(text) as Session).expiresAt > Date.now();
  }
}
