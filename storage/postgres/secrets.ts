/**
 * SecretStore on PostgreSQL: `guild_secrets` holds AES-GCM sealed values;
 * plaintext never reaches the database.
 *
 * @module
 */

import type postgres from "postgres";
import { checkGuildId } from "../guild_kv_limits.ts";
import { checkSecretName, sealChecked, type SecretCipher } from "../secrets_crypto.ts";
import type { RevealedSecret, SecretInfo, SecretOptions, SecretStore } from "../types.ts";

interface SecretRow {
  iv: Uint8Array;
  ciphertext: Uint8Array;
  key_id: string;
  updated_at: Date;
  allowed_hosts: string[];
}

export class PgSecretStore implements SecretStore {
  readonly #sql: postgres.Sql;
  readonly #cipher: SecretCipher;

  constructor(sql: postgres.Sql, cipher: SecretCipher) {
    this.#sql = sql;
    this.#cipher = cipher;
  }

  async put(
    guildId: string,
    name: string,
    value: string,
    options: SecretOptions = {},
  ): Promise<SecretInfo> {
    const { sealed, allowedHosts } = await sealChecked(
      this.#cipher,
      guildId,
      name,
      value,
      options,
    );
    const now = new Date();
    await this.#sql`
      insert into guild_secrets (guild_id, name, iv, ciphertext, key_id, updated_at, allowed_hosts)
      values (${guildId}, ${name}, ${sealed.iv}, ${sealed.ciphertext}, ${sealed.keyId}, ${now},
              ${this.#sql.array(allowedHosts)})
      on conflict (guild_id, name) do update set
        iv = excluded.iv, ciphertext = excluded.ciphertext,
        key_id = excluded.key_id, updated_at = excluded.updated_at,
        allowed_hosts = excluded.allowed_hosts`;
    return { name, updatedAt: now.toISOString(), allowedHosts };
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
    const rows = await this.#sql<{ name: string; updated_at: Date; allowed_hosts: string[] }[]>`
      select name, updated_at, allowed_hosts from guild_secrets where guild_id = ${guildId}
      order by name collate "C"`;
    return rows.map((r) => ({
      name: r.name,
      updatedAt: r.updated_at.toISOString(),
      allowedHosts: r.allowed_hosts,
    }));
  }

  async reveal(guildId: string, name: string): Promise<string | null> {
    return (await this.revealEntry(guildId, name))?.value ?? null;
  }

  async revealEntry(guildId: string, name: string): Promise<RevealedSecret | null> {
    checkGuildId(guildId);
    checkSecretName(name);
    const [row] = await this.#sql<SecretRow[]>`
      select iv, ciphertext, key_id, updated_at, allowed_hosts from guild_secrets
      where guild_id = ${guildId} and name = ${name}`;
    if (row === undefined) return null;
    const value = await this.#cipher.open(guildId, name, {
      iv: row.iv,
      ciphertext: row.ciphertext,
      keyId: row.key_id,
    }, row.allowed_hosts);
    return {
      name,
      updatedAt: row.updated_at.toISOString(),
      allowedHosts: row.allowed_hosts,
      value,
    };
  }
}
