/**
 * SecretStore on Deno KV: `["secret", guildId, name]` holds the AES-GCM
 * sealed value; plaintext never reaches the database.
 *
 * @module
 */

import { checkGuildId } from "../guild_kv_limits.ts";
import {
  checkSecretName,
  sealChecked,
  type SealedSecret,
  type SecretCipher,
} from "../secrets_crypto.ts";
import type { RevealedSecret, SecretInfo, SecretOptions, SecretStore } from "../types.ts";
import { AGAIN, done, retryAtomic, write } from "./retry.ts";

interface StoredSecret extends SealedSecret {
  updatedAt: string;
  /** Absent in secrets stored before host lists existed: none. */
  allowedHosts?: string[];
}

const secretKey = (guildId: string, name: string): Deno.KvKey => ["secret", guildId, name];

export class KvSecretStore implements SecretStore {
  readonly #kv: Deno.Kv;
  readonly #key: SecretCipher | null;

  /** `cipher` null: no key was configured, and every call says so instead of storing plaintext. */
  constructor(kv: Deno.Kv, cipher: SecretCipher | null) {
    this.#kv = kv;
    this.#key = cipher;
  }

  get #cipher(): SecretCipher {
    if (this.#key === null) {
      throw new Error(
        "guild secrets are unavailable: no secrets key was configured (FLORA_SECRETS_KEY or options.cipher)",
      );
    }
    return this.#key;
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
    const updatedAt = new Date().toISOString();
    const stored: StoredSecret = { ...sealed, updatedAt, allowedHosts };
    await write("put secret", () => this.#kv.set(secretKey(guildId, name), stored));
    return { name, updatedAt, allowedHosts };
  }

  async delete(guildId: string, name: string): Promise<boolean> {
    checkGuildId(guildId);
    checkSecretName(name);
    return await retryAtomic("delete secret", async () => {
      const existing = await this.#kv.get(secretKey(guildId, name));
      if (existing.versionstamp === null) return done(false);
      const result = await this.#kv.atomic().check(existing).delete(existing.key).commit();
      return result.ok ? done(true) : AGAIN;
    });
  }

  async list(guildId: string): Promise<SecretInfo[]> {
    checkGuildId(guildId);
    const out: SecretInfo[] = [];
    for await (const entry of this.#kv.list<StoredSecret>({ prefix: ["secret", guildId] })) {
      out.push({
        name: String(entry.key[2]),
        updatedAt: entry.value.updatedAt,
        allowedHosts: entry.value.allowedHosts ?? [],
      });
    }
    return out;
  }

  async reveal(guildId: string, name: string): Promise<string | null> {
    return (await this.revealEntry(guildId, name))?.value ?? null;
  }

  async revealEntry(guildId: string, name: string): Promise<RevealedSecret | null> {
    checkGuildId(guildId);
    checkSecretName(name);
    const stored = await this.#kv.get<StoredSecret>(secretKey(guildId, name));
    if (stored.value === null) return null;
    const allowedHosts = stored.value.allowedHosts ?? [];
    const value = await this.#cipher.open(guildId, name, stored.value, allowedHosts);
    return { name, updatedAt: stored.value.updatedAt, allowedHosts, value };
  }
}
