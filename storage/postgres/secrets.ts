/**
 * SecretStore on PostgreSQL: `guild_secrets` holds AES-GCM sealed values;
 * plaintext never reaches the database.
 *
 * @module
 */

import type postgres from "postgres";
import { checkGuildId } from "../guild_kv_limits.ts";
import { checkSecretName, type SecretCipher } from "../secrets_crypto.ts";
import type { SecretInfo, SecretStore } from "../types.ts";

export class PgSecretStore implements SecretStore {
  readonly #sql: postgres.Sql;
  readonly #cipher: SecretCipher;

  constructor(sql: postgres.Sql, cipher: SecretCipher) {
    this.#sql = sql;
    this.#cipher = cipher;
  }

  async put(guildId: string, name: string, value: string): Promise<SecretInfo> {
    checkGuildId(guildId);
    checkSecretName(name);
    const sealed = await this.#cipher.seal(guildId, name, value);
    const now = new Date();
    await this.#sql`
      insert into guild_secrets (guild_id, name, iv, ciphertext, key_id, updated_at)
      values (${guildId}, ${name}, ${sealed.iv}, ${sealed.ciphertext}, ${sealed.keyId}, ${now})
      on conflict (guild_id, name) do update set
        iv = excluded.iv, ciphertext = excluded.ciphertext,
        key_id = excluded.key_id, updated_at = excluded.updated_at`;
    return { name, updatedAt: now.toISOString() };
  }

  async delete(guildId: string, name: string): Promise<boolean> {
    checkGuildId(guildId);
    checkSecretName(name);
    const rows = await this.#sql`
      delete from guild_secrets where guild_id = ${guildId} and name = ${name} returning name`;
    return rows.length === 1;
  }

  async list(guildId: string): Promise<SecretInfo[]> {
    checkGuildId(guildId);
    // COLLATE "C": byte order, the same order the embedded backend returns.
    const rows = await this.#sql<{ name: string; updated_at: Date }[]>`
      select name, updated_at from guild_secrets where guild_id = ${guildId}
      order by name collate "C"`;
    return rows.map((r) => ({ name: r.name, updatedAt: r.updated_at.toISOString() }));
  }

  async reveal(guildId: string, name: string): Promise<string | null> {
    checkGuildId(guildId);
    checkSecretName(name);
    const [row] = await this.#sql<{ iv: Uint8Array; ciphertext: Uint8Array; key_id: string }[]>`
      select iv, ciphertext, key_id from guild_secrets
      where guild_id = ${guildId} and name = ${name}`;
    if (row === undefined) return null;
    return await this.#cipher.open(guildId, name, {
      iv: row.iv,
      ciphertext: row.ciphertext,
      keyId: row.key_id,
    });
  }
}
