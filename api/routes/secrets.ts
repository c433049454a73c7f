/**
 * `/secrets/:guild`: a guild's secrets (API keys its script may use in
 * outbound requests, toward the hosts each one allows). Values go in and
 * never come back out: the API can set, delete and list names and hosts,
 * nothing more. They are stored encrypted
 * (`storage/secrets_crypto.ts`).
 *
 * @module
 */

import { z } from "zod";
import { MAX_SECRET_BYTES } from "../../storage/secrets_crypto.ts";
import { type SecretStore, StorageInputError } from "../../storage/types.ts";
import { ApiError } from "../errors.ts";
import { type ApiRouter, snowflake } from "../routing.ts";
import { hostListSchema } from "./deployments.ts";

const secretName = z.string().regex(
  /^[A-Za-z_][A-Za-z0-9_]{0,63}$/,
  'must be 1-64 characters from A-Z, a-z, 0-9 and "_", not starting with a digit',
);
const nameParams = z.object({ guild: snowflake, name: secretName });
const putBody = z.object({
  value: z.string().min(1, "must not be empty").describe("the secret's value (write-only)"),
  allowedHosts: hostListSchema.optional().describe(
    "hosts a script may send the secret to (replaces the previous list; absent: none)",
  ),
}).strict();

/** Runs a store call, turning its input errors into 400s that say what to fix. */
async function checked<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof StorageInputError) {
      throw new ApiError(400, "invalid_secret", error.message);
    }
    throw error;
  }
}

/** Registers the secret routes. */
export function registerSecretRoutes(api: ApiRouter, secrets: SecretStore): void {
  api.route({
    method: "get",
    path: "/secrets/:guild",
    tag: "secrets",
    auth: "user",
    summary: "Names of the guild's secrets (never their values)",
    params: z.object({ guild: snowflake }),
    responses: { 200: "secret names, update times and allowed hosts" },
  }, async (c, { params }) => c.json({ secrets: await secrets.list(params.guild) }));

  api.route({
    method: "put",
    path: "/secrets/:guild/:name",
    tag: "secrets",
    auth: "user",
    summary: "Set a secret",
    description: `Creates or replaces the secret. The value (at most ${MAX_SECRET_BYTES} bytes) ` +
      "is stored encrypted and cannot be read back through the API.",
    params: nameParams,
    body: putBody,
    // JSON escaping can grow a value; leave room for it.
    maxBodyBytes: MAX_SECRET_BYTES * 6 + 1_024,
    responses: { 200: "set", 400: "bad name or value" },
  }, async (c, { params, body }) => {
    const info = await checked(() =>
      secrets.put(params.guild, params.name, body.value, { allowedHosts: body.allowedHosts ?? [] })
    );
    return c.json({ secret: info });
  });

  api.route({
    method: "delete",
    path: "/secrets/:guild/:name",
    tag: "secrets",
    auth: "user",
    summary: "Delete a secret",
    params: nameParams,
    responses: { 200: "`deleted` says whether it existed" },
  }, async (c, { params }) => {
    const deleted = await checked(() => secrets.delete(params.guild, params.name));
    return c.json({ deleted });
  });
}
