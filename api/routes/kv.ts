/**
 * `/kv/:guild`: a guild's key-value stores, as its scripts see them: list
 * stores, list entries (prefix, cursor), get, put, delete, and export or
 * import a whole store as JSON lines. Keys travel in the `key` query
 * parameter so any key (slashes included) is addressable.
 *
 * @module
 */

import { z } from "zod";
import {
  checkKey,
  checkSetOptions,
  encodeJson,
  MAX_VALUE_BYTES,
} from "../../storage/guild_kv_limits.ts";
import {
  type GuildKvStore,
  type JsonValue,
  type KvEntry,
  StorageInputError,
} from "../../storage/types.ts";
import { RESERVED_STORE_PREFIX } from "../../runtime/sandbox/protocol/mod.ts";
import { ApiError } from "../errors.ts";
import { type ApiRouter, snowflake } from "../routing.ts";

// The host's own stores (cron state, tasks) are not the guild's to read or write.
const storeName = z.string().regex(
  /^[A-Za-z0-9_.-]{1,64}$/,
  'must be 1-64 characters from A-Z, a-z, 0-9, "_", "." and "-"',
).refine(
  (name) => !name.startsWith(RESERVED_STORE_PREFIX),
  `names starting with "${RESERVED_STORE_PREFIX}" are reserved for flora itself`,
);
const storeParams = z.object({ guild: snowflake, store: storeName });
const keyQuery = z.object({
  key: z.string().min(1, "must not be empty").max(512).describe("the entry's key"),
});
const json: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([
    z.null(),
    z.boolean(),
    z.number(),
    z.string(),
    z.array(json),
    z.record(z.string(), json),
  ])
);

/** One exported line. */
const exportLine = z.object({
  key: z.string().min(1).max(512),
  value: json,
  metadata: json.optional(),
  expiresAt: z.number().int().positive().optional(),
}).strict();

function entryView(e: KvEntry) {
  return {
    key: e.key,
    value: e.value,
    ...(e.metadata === undefined ? {} : { metadata: e.metadata }),
    ...(e.expiresAt === undefined ? {} : { expiresAt: e.expiresAt }),
    version: e.version,
  };
}

/** Registers the KV routes. */
export function registerKvRoutes(api: ApiRouter, kv: GuildKvStore): void {
  api.route({
    method: "get",
    path: "/kv/:guild",
    tag: "kv",
    auth: "user",
    summary: "The guild's stores (those holding at least one entry)",
    params: z.object({ guild: snowflake }),
    responses: { 200: "store names" },
  }, async (c, { params }) => {
    const stores = await kv.stores(params.guild);
    return c.json({ stores: stores.filter((name) => !name.startsWith(RESERVED_STORE_PREFIX)) });
  });

  api.route({
    method: "get",
    path: "/kv/:guild/:store",
    tag: "kv",
    auth: "user",
    summary: "List entries, by key order",
    params: storeParams,
    query: z.object({
      prefix: z.string().max(512).optional().describe("only keys starting with this"),
      cursor: z.string().max(2048).optional().describe("from a previous page's cursor"),
      limit: z.string().regex(/^\d+$/, "must be a whole number from 1 to 1000").transform(Number)
        .pipe(z.number().int().min(1).max(1000)).optional().describe("page size (default 100)"),
    }),
    responses: { 200: "a page of entries; `cursor` when more follow" },
  }, async (c, { params, query }) => {
    const page = await kv.list(params.guild, params.store, query);
    return c.json({
      entries: page.entries.map(entryView),
      ...(page.cursor ? { cursor: page.cursor } : {}),
    });
  });

  api.route({
    method: "get",
    path: "/kv/:guild/:store/entry",
    tag: "kv",
    auth: "user",
    summary: "Get one entry",
    params: storeParams,
    query: keyQuery,
    responses: { 200: "the entry", 404: "no such key" },
  }, async (c, { params, query }) => {
    const entry = await kv.get(params.guild, params.store, query.key);
    if (!entry) throw new ApiError(404, "no_key", `store ${params.store} has no key ${query.key}`);
    return c.json({ entry: entryView(entry) });
  });

  api.route({
    method: "put",
    path: "/kv/:guild/:store/entry",
    tag: "kv",
    auth: "user",
    summary: "Set one entry",
    params: storeParams,
    query: keyQuery,
    body: z.object({
      value: json.describe("any JSON value"),
      metadata: json.optional(),
      ttlMs: z.number().int().positive().optional().describe("time to live, ms"),
    }).strict(),
    responses: { 200: "the stored entry", 400: "over a limit or not JSON" },
  }, async (c, { params, query, body }) => {
    const entry = await kv.set(params.guild, params.store, query.key, body.value, {
      ...(body.ttlMs === undefined ? {} : { ttlMs: body.ttlMs }),
      ...(body.metadata === undefined ? {} : { metadata: body.metadata }),
    });
    return c.json({ entry: entryView(entry) });
  });

  api.route(
    {
      method: "delete",
      path: "/kv/:guild/:store/entry",
      tag: "kv",
      auth: "user",
      summary: "Delete one entry",
      params: storeParams,
      query: keyQuery,
      responses: { 200: "`deleted`: whether it existed" },
    },
    async (c, { params, query }) =>
      c.json({ deleted: await kv.delete(params.guild, params.store, query.key) }),
  );

  api.route({
    method: "get",
    path: "/kv/:guild/:store/export",
    tag: "kv",
    auth: "user",
    summary: "Export a store as JSON lines",
    description:
      "One `{ key, value, metadata?, expiresAt? }` object per line (application/x-ndjson).",
    params: storeParams,
    responses: { 200: "application/x-ndjson" },
  }, async (c, { params }) => {
    const lines: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await kv.list(params.guild, params.store, { cursor, limit: 1000 });
      for (const e of page.entries) {
        const { version: _version, ...line } = entryView(e);
        lines.push(JSON.stringify(line));
      }
      cursor = page.cursor;
    } while (cursor);
    c.header("content-type", "application/x-ndjson");
    return c.body(lines.map((l) => l + "\n").join(""));
  });

  api.route({
    method: "post",
    path: "/kv/:guild/:store/import",
    tag: "kv",
    auth: "user",
    summary: "Import JSON lines into a store",
    description:
      "Every line is checked before anything is written; a bad line rejects the whole import " +
      "(400 naming the line). Existing keys are overwritten; expired lines are skipped.",
    params: storeParams,
    rawBody: { contentType: "application/x-ndjson" },
    responses: { 200: "`imported` and `skipped` counts", 400: "a bad line" },
  }, async (c, { params, text }) => {
    const entries: z.infer<typeof exportLine>[] = [];
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i].trim();
      if (line === "") continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        throw new ApiError(400, "invalid_line", `line ${i + 1} is not JSON`);
      }
      const parsed = exportLine.safeParse(value);
      if (!parsed.success) {
        throw new ApiError(
          400,
          "invalid_line",
          `line ${i + 1}: ${
            parsed.error.issues.map((e) => `${e.path.join(".") || "line"}: ${e.message}`).join("; ")
          } (expected { key, value, metadata?, expiresAt? })`,
        );
      }
      try {
        checkKey(parsed.data.key);
        encodeJson(parsed.data.value, "value", MAX_VALUE_BYTES);
        checkSetOptions({ metadata: parsed.data.metadata }, 0);
      } catch (error) {
        if (error instanceof StorageInputError) {
          throw new ApiError(400, "invalid_line", `line ${i + 1}: ${error.message}`);
        }
        throw error;
      }
      entries.push(parsed.data);
    }
    const now = Date.now();
    let imported = 0;
    let skipped = 0;
    for (const e of entries) {
      if (e.expiresAt !== undefined && e.expiresAt <= now) {
        skipped++;
        continue;
      }
      await kv.set(params.guild, params.store, e.key, e.value, {
        ...(e.metadata === undefined ? {} : { metadata: e.metadata }),
        ...(e.expiresAt === undefined ? {} : { ttlMs: e.expiresAt - now }),
      });
      imported++;
    }
    return c.json({ imported, skipped });
  });
}
