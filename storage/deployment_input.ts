/**
 * Input checks shared by every DeploymentStore backend, so each refuses the
 * same things with the same messages.
 *
 * @module
 */

import { checkHostPatterns } from "./host_patterns.ts";
import { type DeploymentStatus, type NewDeployment, StorageInputError } from "./types.ts";

/** Limits a deployment store enforces. */
export interface DeploymentLimits {
  /** Largest `bundle.code` plus `bundle.sourceMap`, in UTF-8 bytes. Default 16 MiB. */
  maxBundleBytes: number;
}

export const DEFAULT_DEPLOYMENT_LIMITS: DeploymentLimits = { maxBundleBytes: 16 * 1024 * 1024 };

/** Failure messages are kept, but not without bound (a stack can be huge). */
export const MAX_ERROR_CHARS = 8_192;

const STATUSES: ReadonlySet<string> = new Set([
  "pending",
  "active",
  "failed",
  "superseded",
  "suspended",
]);

const encoder = new TextEncoder();

/** The bundle's code and source map as UTF-8, after checking the input. */
export interface EncodedBundle {
  code: Uint8Array;
  sourceMap: Uint8Array | null;
  /** The fetch hosts, normalised (empty: fetch off). */
  fetchHosts: string[];
}

function requireText(value: unknown, field: string, max: number): string {
  if (typeof value !== "string" || value.length === 0) {
    throw new StorageInputError(`${field} must be a non-empty string`);
  }
  if (value.length > max) {
    throw new StorageInputError(`${field} must be at most ${max} characters`);
  }
  return value;
}

/** Checks a create request and encodes its bundle. */
export function checkNewDeployment(input: NewDeployment, limits: DeploymentLimits): EncodedBundle {
  requireText(input.guildId, "guildId", 128);
  requireText(input.createdBy, "createdBy", 256);
  const bundle = input.bundle;
  if (bundle === null || typeof bundle !== "object") {
    throw new StorageInputError("bundle must be an object with entry and code");
  }
  requireText(bundle.entry, "bundle.entry", 1024);
  if (typeof bundle.code !== "string") throw new StorageInputError("bundle.code must be a string");
  if (bundle.sourceMap !== undefined && typeof bundle.sourceMap !== "string") {
    throw new StorageInputError("bundle.sourceMap must be a string when given");
  }
  const fetchHosts = checkHostPatterns(input.fetchHosts, "fetchHosts");
  const code = encoder.encode(bundle.code);
  const sourceMap = bundle.sourceMap === undefined ? null : encoder.encode(bundle.sourceMap);
  const total = code.length + (sourceMap?.length ?? 0);
  if (total > limits.maxBundleBytes) {
    throw new StorageInputError(
      `bundle is ${total} bytes (code + source map); the limit is ${limits.maxBundleBytes} bytes`,
    );
  }
  return { code, sourceMap, fetchHosts };
}

/** Checks a status given by a caller (the API may pass user input through). */
export function checkStatus(status: string): DeploymentStatus {
  if (!STATUSES.has(status)) {
    throw new StorageInputError(
      `status must be one of pending, active, failed, superseded, suspended (got ${
        JSON.stringify(status)
      })`,
    );
  }
  return status as DeploymentStatus;
}

/** The error message stored with a status: only for `failed`, bounded in length. */
export function errorFor(status: DeploymentStatus, error: string | undefined): string | undefined {
  if ((status !== "failed" && status !== "suspended") || error === undefined) return undefined;
  return error.length > MAX_ERROR_CHARS ? error.slice(0, MAX_ERROR_CHARS) + "…" : error;
}

/** Checks a list page size (1–1000, default 50). */
export function checkListLimit(limit: number | undefined, fallback = 50): number {
  const value = limit ?? fallback;
  if (!Number.isInteger(value) || value < 1 || value > 1000) {
    throw new StorageInputError("limit must be an integer from 1 to 1000");
  }
  return value;
}
