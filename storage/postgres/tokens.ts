/**
 * TokenStore on PostgreSQL: `api_tokens` keeps the SHA-256 of each secret
 * (unique, indexed) so `verify` is one indexed lookup.
 *
 * @module
 */

import type postgres from "postgres";
import { newId } from "../ids.ts";
import { checkNewToken, hashTokenSecret, newTokenSecret, tokenIdOf } from "../tokens_common.ts";
import type { ApiToken, NewApiToken, TokenStore } from "../types.ts";

interface TokenRow {
  id: string;
  name: string;
  scopes: string[];
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
}

export class PgTokenStore implements TokenStore {
  readonly #sql: postgres.Sql;

  constructor(sql: postgres.Sql) {
    this.#sql = sql;
  }

  async create(input: NewApiToken): Promise<{ token: ApiToken; secret: string }> {
    const now = Date.now();
    const expiresAt = checkNewToken(input, now);
    const id = newId(now);
    const secret = newTokenSecret(id);
    const hash = await hashTokenSecret(secret);
    const [row] = await this.#sql<TokenRow[]>`
      insert into api_tokens (id, name, scopes, hash, created_at, expires_at)
      values (${id}, ${input.name}, ${this.#sql.array(input.scopes)}, ${hash}, ${new Date(now)},
              ${expiresAt === undefined ? null : new Date(expiresAt)})
      returning id, name, scopes, created_at, expires_at, revoked_at`;
    return { token: toToken(row), secret };
  }

  async verify(secret: string): Promise<ApiToken | null> {
    const id = tokenIdOf(secret);
    if (id === null) return null;
    const hash = await hashTokenSecret(secret);
    const [row] = await this.#sql<TokenRow[]>`
      select id, name, scopes, created_at, expires_at, revoked_at from api_tokens
      where hash = ${hash} and id = ${id} and revoked_at is null
        and (expires_at is null or expires_at > ${new Date()})`;
    return row === undefined ? null : toToken(row);
  }

  async revoke(id: string): Promise<boolean> {
    if (typeof id !== "string" || id.length === 0) return false;
    const rows = await this.#sql`
      update api_tokens set revoked_at = ${new Date()}
      where id = ${id} and revoked_at is null returning id`;
    return rows.length === 1;
  }

  async list(): Promise<ApiToken[]> {
    const rows = await this.#sql<TokenRow[]>`
      select id, name, scopes, created_at, expires_at, revoked_at from api_tokens
      order by id desc`;
    return rows.map(toToken);
  }
}

function toToken(row: TokenRow): ApiToken {
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes,
    createdAt: row.created_at.toISOString(),
    ...(row.expires_at === null ? {} : { expiresAt: row.expires_at.toISOString() }),
    ...(row.revoked_at === null ? {} : { revokedAt: row.revoked_at.toISOString() }),
  };
}
