/**
 * AES-256-GCM encryption of guild secrets, shared by every SecretStore
 * backend. The guild id, secret name and allowed hosts are bound as
 * additional data, so a ciphertext copied to another guild or name, or a
 * host list widened in the database, fails to decrypt instead of leaking
 * there. Each value gets a fresh random 96-bit IV.
 *
 * @module
 */

import { checkGuildId } from "./guild_kv_limits.ts";
import { checkHostPatterns } from "./host_patterns.ts";
import { type SecretOptions, StorageInputError } from "./types.ts";

/** What is stored for one secret. */
export interface SealedSecret {
  iv: Uint8Array;
  /** Ciphertext with the 16-byte GCM tag appended (WebCrypto's layout). */
  ciphertext: Uint8Array;
  /** Which key sealed it (first bytes of the key's SHA-256), to report a wrong key clearly. */
  keyId: string;
}

/** Largest secret value accepted (UTF-8 bytes). */
export const MAX_SECRET_BYTES = 16 * 1024;
const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export function checkSecretName(name: string): void {
  if (typeof name !== "string" || !NAME.test(name)) {
    throw new StorageInputError(
      `secret name ${
        JSON.stringify(name)
      } is invalid: use 1–64 characters from A–Z, a–z, 0–9 and "_", not starting with a digit`,
    );
  }
}

/**
 * Checks what a backend's `put` was given and seals the value: the part
 * every backend shares before it stores `sealed` and `allowedHosts`.
 *
 * @example
 * ```ts
 * const { sealed, allowedHosts } = await sealChecked(cipher, guildId, "API_KEY", value, {
 *   allowedHosts: ["api.example.com"],
 * });
 * ```
 */
export async function sealChecked(
  cipher: SecretCipher,
  guildId: string,
  name: string,
  value: string,
  options: SecretOptions,
): Promise<{ sealed: SealedSecret; allowedHosts: string[] }> {
  checkGuildId(guildId);
  checkSecretName(name);
  const allowedHosts = checkHostPatterns(options.allowedHosts, "allowedHosts");
  return { sealed: await cipher.seal(guildId, name, value, allowedHosts), allowedHosts };
}

/** Thrown when a stored secret cannot be decrypted (wrong key or tampered data). */
export class SecretDecryptError extends Error {
  override name = "SecretDecryptError";
}

/** Encrypts and decrypts secrets with one key. */
export class SecretCipher {
  readonly #key: CryptoKey;
  readonly keyId: string;

  private constructor(key: CryptoKey, keyId: string) {
    this.#key = key;
    this.keyId = keyId;
  }

  /** A cipher from 32 raw key bytes. */
  static async fromRawKey(raw: Uint8Array): Promise<SecretCipher> {
    if (raw.length !== 32) {
      throw new StorageInputError(`the secrets key must be 32 bytes (got ${raw.length})`);
    }
    const bytes = new Uint8Array(raw);
    const key = await crypto.subtle.importKey("raw", bytes, "AES-GCM", false, [
      "encrypt",
      "decrypt",
    ]);
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
    const keyId = [...digest.subarray(0, 4)].map((b) => b.toString(16).padStart(2, "0")).join("");
    return new SecretCipher(key, keyId);
  }

  /** A cipher from a base64 key (as in `FLORA_SECRETS_KEY`). */
  static async fromBase64(key: string): Promise<SecretCipher> {
    let raw: Uint8Array;
    try {
      raw = Uint8Array.from(atob(key.trim()), (c) => c.charCodeAt(0));
    } catch {
      throw new StorageInputError("the secrets key is not valid base64");
    }
    return await SecretCipher.fromRawKey(raw);
  }

  async seal(
    guildId: string,
    name: string,
    value: string,
    allowedHosts: readonly string[] = [],
  ): Promise<SealedSecret> {
    if (typeof value !== "string") throw new StorageInputError("secret value must be a string");
    const plaintext = new TextEncoder().encode(value);
    if (plaintext.length > MAX_SECRET_BYTES) {
      throw new StorageInputError(
        `secret value is ${plaintext.length} bytes; the limit is ${MAX_SECRET_BYTES}`,
      );
    }
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const ciphertext = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: additionalData(guildId, name, allowedHosts) },
      this.#key,
      plaintext,
    );
    return { iv, ciphertext: new Uint8Array(ciphertext), keyId: this.keyId };
  }

  async open(
    guildId: string,
    name: string,
    sealed: SealedSecret,
    allowedHosts: readonly string[] = [],
  ): Promise<string> {
    if (sealed.keyId !== this.keyId) {
      throw new SecretDecryptError(
        `secret ${name} of guild ${guildId} was sealed with key ${sealed.keyId}, not the configured key ${this.keyId}`,
      );
    }
    try {
      const plaintext = await crypto.subtle.decrypt(
        {
          name: "AES-GCM",
          iv: new Uint8Array(sealed.iv),
          additionalData: additionalData(guildId, name, allowedHosts),
        },
        this.#key,
        new Uint8Array(sealed.ciphertext),
      );
      return new TextDecoder().decode(plaintext);
    } catch {
      throw new SecretDecryptError(`secret ${name} of guild ${guildId} failed authentication`);
    }
  }
}

function additionalData(
  guildId: string,
  name: string,
  allowedHosts: readonly string[],
): Uint8Array<ArrayBuffer> {
  // Without hosts, the original layout: secrets sealed before host lists existed still open.
  const hosts = allowedHosts.length === 0 ? "" : `\0hosts\0${allowedHosts.join("\n")}`;
  return new TextEncoder().encode(`flora-secret\0${guildId}\0${name}${hosts}`);
}
