/**
 * The key file used for embedded installs that set no `FLORA_SECRETS_KEY`:
 * created once (random, mode 0600) next to the data it protects, so a dev
 * setup works without configuration while backups of the KV file alone do
 * not reveal secrets.
 *
 * @module
 */

import { SecretCipher } from "./secrets_crypto.ts";

/** Loads `${dataDir}/secrets.key`, creating it if missing. */
export async function loadOrCreateKeyFile(dataDir: string): Promise<SecretCipher> {
  const path = `${dataDir.replace(/\/+$/, "")}/secrets.key`;
  try {
    return await SecretCipher.fromBase64(await Deno.readTextFile(path));
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  await Deno.mkdir(dataDir, { recursive: true });
  const raw = crypto.getRandomValues(new Uint8Array(32));
  const encoded = btoa(String.fromCharCode(...raw));
  try {
    // createNew: if another process created it meanwhile, use theirs.
    await Deno.writeTextFile(path, encoded + "\n", { createNew: true, mode: 0o600 });
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    return await SecretCipher.fromBase64(await Deno.readTextFile(path));
  }
  return await SecretCipher.fromRawKey(raw);
}
