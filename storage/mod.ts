/**
 * Public entry point of the storage layer: the contracts, configuration and
 * `openStorage`. Backend modules can be imported directly when a caller
 * needs one specifically (tests, tools).
 *
 * @module
 */

export * from "./types.ts";
export {
  type BackendName,
  openStorage,
  type OpenStorageOptions,
  readStorageConfig,
  type Storage,
  type StorageConfig,
  StorageConfigError,
} from "./config.ts";
export {
  type EmbeddedOptions,
  type EmbeddedStorage,
  embeddedStorageOn,
  openEmbeddedStorage,
} from "./embedded/open.ts";
export { type GuildKvQuota } from "./guild_kv_limits.ts";
export { SecretDecryptError } from "./secrets_crypto.ts";
export { StorageConflictError } from "./embedded/retry.ts";
