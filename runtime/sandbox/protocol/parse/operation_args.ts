/**
 * The host's parser of a call's arguments: each operation's arguments are
 * checked against its shape in `OperationArgsMap` before the host acts.
 *
 * @module
 */

import {
  type FetchArgs,
  MAX_FETCH_BODY_BYTES,
  type OperationArgs,
  type OperationName,
} from "../operations.ts";
import type { JsonValue } from "../values.ts";
import { fail, int, Invalid, json, optional, record, snowflake, storeName, str } from "./fields.ts";
import { kvTransactionParsers } from "./kv_transaction_args.ts";
import { sortedParsers } from "./sorted_args.ts";
import { taskParsers } from "./task_args.ts";

const RESPONSE_TYPES = [4, 5, 6, 7, 8, 9];

function optStr(a: Record<string, unknown>, key: string, max: number): string | undefined {
  return optional(a[key], (v) => str(v, `args.${key}`, 1, max));
}

function optSnowflake(a: Record<string, unknown>, key: string): string | undefined {
  return optional(a[key], (v) => snowflake(v, `args.${key}`));
}

function channelMessage(a: Record<string, unknown>) {
  return {
    channelId: snowflake(a.channelId, "args.channelId"),
    messageId: snowflake(a.messageId, "args.messageId"),
  };
}

function emoji(value: unknown, path: string): string {
  const e = str(value, path, 1, 100);
  if (/[\/?#\s]/.test(e)) fail(path, "expected a unicode emoji or name:id");
  return e;
}

function kvSetOptions(a: Record<string, unknown>) {
  const out: { ttlMs?: number; metadata?: JsonValue } = {};
  if (a.ttlMs !== undefined) out.ttlMs = int(a.ttlMs, "args.ttlMs");
  if (a.metadata !== undefined) out.metadata = json(a.metadata, "args.metadata");
  return out;
}

function reason(a: Record<string, unknown>): { reason?: string } {
  const r = optStr(a, "reason", 512);
  return r === undefined ? {} : { reason: r };
}

const operationParsers: { [N in OperationName]: (a: Record<string, unknown>) => OperationArgs<N> } =
  {
    "interaction.respond": (a) => {
      if (!RESPONSE_TYPES.includes(a.type as number)) {
        fail("args.type", `expected one of ${RESPONSE_TYPES.join(", ")}`);
      }
      return {
        interactionId: snowflake(a.interactionId, "args.interactionId"),
        type: a.type as 4 | 5 | 6 | 7 | 8 | 9,
        data: optional(a.data, (d) => record(d, "args.data")),
      };
    },
    "interaction.followUp": (a) => ({
      interactionId: snowflake(a.interactionId, "args.interactionId"),
      data: record(a.data, "args.data"),
    }),
    "interaction.editReply": (a) => ({
      interactionId: snowflake(a.interactionId, "args.interactionId"),
      data: record(a.data, "args.data"),
    }),
    "message.send": (a) => ({
      channelId: snowflake(a.channelId, "args.channelId"),
      data: record(a.data, "args.data"),
    }),
    "interaction.deleteReply": (a) => ({
      interactionId: snowflake(a.interactionId, "args.interactionId"),
    }),
    "message.edit": (a) => ({ ...channelMessage(a), data: record(a.data, "args.data") }),
    "message.delete": (a) => ({ ...channelMessage(a), ...reason(a) }),
    "message.get": (a) => channelMessage(a),
    "message.list": (a) => {
      const limit = optional(a.limit, (v) => int(v, "args.limit"));
      if (limit !== undefined && (limit < 1 || limit > 100)) fail("args.limit", "must be 1–100");
      return {
        channelId: snowflake(a.channelId, "args.channelId"),
        limit,
        before: optSnowflake(a, "before"),
        after: optSnowflake(a, "after"),
      };
    },
    "reaction.add": (a) => ({ ...channelMessage(a), emoji: emoji(a.emoji, "args.emoji") }),
    "reaction.remove": (a) => ({
      ...channelMessage(a),
      emoji: emoji(a.emoji, "args.emoji"),
      userId: optSnowflake(a, "userId"),
    }),
    "reaction.removeAll": (a) => ({
      ...channelMessage(a),
      emoji: optional(a.emoji, (v) => emoji(v, "args.emoji")),
    }),
    "pin.add": (a) => channelMessage(a),
    "pin.remove": (a) => channelMessage(a),
    "thread.create": (a) => {
      const duration = optional(a.autoArchiveDuration, (v) => int(v, "args.autoArchiveDuration"));
      if (duration !== undefined && ![60, 1440, 4320, 10080].includes(duration)) {
        fail("args.autoArchiveDuration", "must be 60, 1440, 4320 or 10080 minutes");
      }
      return {
        channelId: snowflake(a.channelId, "args.channelId"),
        name: str(a.name, "args.name", 1, 100),
        messageId: optSnowflake(a, "messageId"),
        autoArchiveDuration: duration,
        private: a.private === undefined ? undefined : a.private === true,
      };
    },
    "member.get": (a) => ({ userId: snowflake(a.userId, "args.userId") }),
    "member.list": (a) => {
      const limit = optional(a.limit, (v) => int(v, "args.limit"));
      if (limit !== undefined && (limit < 1 || limit > 1000)) fail("args.limit", "must be 1–1000");
      return { limit, after: optSnowflake(a, "after") };
    },
    "member.addRole": (a) => ({
      userId: snowflake(a.userId, "args.userId"),
      roleId: snowflake(a.roleId, "args.roleId"),
      ...reason(a),
    }),
    "member.removeRole": (a) => ({
      userId: snowflake(a.userId, "args.userId"),
      roleId: snowflake(a.roleId, "args.roleId"),
      ...reason(a),
    }),
    "member.timeout": (a) => {
      let until: string | null = null;
      if (a.until !== null) {
        until = str(a.until, "args.until", 1, 64);
        if (Number.isNaN(Date.parse(until))) fail("args.until", "expected an ISO 8601 instant");
      }
      return { userId: snowflake(a.userId, "args.userId"), until, ...reason(a) };
    },
    "member.kick": (a) => ({ userId: snowflake(a.userId, "args.userId"), ...reason(a) }),
    "member.ban": (a) => {
      const seconds = optional(a.deleteMessageSeconds, (v) => int(v, "args.deleteMessageSeconds"));
      if (seconds !== undefined && seconds > 604_800) {
        fail("args.deleteMessageSeconds", "must be 0–604800 (7 days)");
      }
      return {
        userId: snowflake(a.userId, "args.userId"),
        deleteMessageSeconds: seconds,
        ...reason(a),
      };
    },
    "member.unban": (a) => ({ userId: snowflake(a.userId, "args.userId"), ...reason(a) }),
    "role.list": () => ({}),
    "channel.get": (a) => ({ channelId: snowflake(a.channelId, "args.channelId") }),
    "channel.list": () => ({}),
    "kv.get": (a) => ({ store: storeName(a.store), key: str(a.key, "args.key") }),
    "kv.set": (a) => ({
      store: storeName(a.store),
      key: str(a.key, "args.key"),
      value: json(a.value, "args.value"),
      ...kvSetOptions(a),
    }),
    "kv.delete": (a) => ({ store: storeName(a.store), key: str(a.key, "args.key") }),
    "kv.list": (a) => ({
      store: storeName(a.store),
      prefix: optional(a.prefix, (v) => str(v, "args.prefix")),
      cursor: optional(a.cursor, (v) => str(v, "args.cursor")),
      limit: optional(a.limit, (v) => int(v, "args.limit")),
    }),
    "kv.compareAndSet": (a) => ({
      store: storeName(a.store),
      key: str(a.key, "args.key"),
      expectedVersion: a.expectedVersion === null
        ? null
        : str(a.expectedVersion, "args.expectedVersion"),
      value: json(a.value, "args.value"),
      ...kvSetOptions(a),
    }),
    "kv.increment": (a) => {
      if (typeof a.by !== "number" || !Number.isFinite(a.by)) fail("args.by", "expected a number");
      return { store: storeName(a.store), key: str(a.key, "args.key"), by: a.by };
    },
    ...kvTransactionParsers,
    ...sortedParsers,
    ...taskParsers,
    "cpu.burst": (a) => ({ ms: int(a.ms, "args.ms") }),
    fetch: fetchArgs,
  };

const HTTP_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function fetchArgs(a: Record<string, unknown>): FetchArgs {
  const method = str(a.method, "args.method", 1, 32);
  if (!HTTP_TOKEN.test(method)) fail("args.method", "expected an HTTP method");
  if (!Array.isArray(a.headers) || a.headers.length > 100) {
    fail("args.headers", "expected at most 100 [name, value] pairs");
  }
  const headers = a.headers.map((pair, i): [string, string] => {
    const path = `args.headers[${i}]`;
    if (!Array.isArray(pair) || pair.length !== 2) fail(path, "expected a [name, value] pair");
    const name = str(pair[0], `${path}[0]`, 1, 256);
    if (!HTTP_TOKEN.test(name)) fail(`${path}[0]`, "expected a header name");
    const value = str(pair[1], `${path}[1]`, 0, 16_384);
    if (/[\r\n\0]/.test(value)) fail(`${path}[1]`, "header values cannot contain CR, LF or NUL");
    return [name, value];
  });
  const body = optional(
    a.body,
    (b) => str(b, "args.body", 0, Math.ceil(MAX_FETCH_BODY_BYTES / 3) * 4),
  );
  if (body !== undefined && !/^[A-Za-z0-9+/]*={0,2}$/.test(body)) {
    fail("args.body", "expected base64");
  }
  const redirect = a.redirect;
  if (
    redirect !== undefined && redirect !== "follow" && redirect !== "manual" && redirect !== "error"
  ) {
    fail("args.redirect", "expected follow, manual or error");
  }
  return {
    url: str(a.url, "args.url", 1, 8_192),
    method,
    headers,
    ...(body === undefined ? {} : { body }),
    ...(redirect === undefined ? {} : { redirect }),
  };
}

/** Validates a call's arguments against its operation's shape. */
export function parseOperationArgs<N extends OperationName>(
  op: N,
  args: unknown,
): { ok: true; args: OperationArgs<N> } | { ok: false; error: string } {
  try {
    const parser = operationParsers[op] as (a: Record<string, unknown>) => OperationArgs<N>;
    return { ok: true, args: parser(record(args, "args")) };
  } catch (error) {
    if (error instanceof Invalid) {
      return { ok: false, error: `invalid arguments for ${op}: ${error.message}` };
    }
    throw error;
  }
}

// ---------------------------------------------------------------------------
// Host ⇄ sandbox process (trusted: both ends are flora's code)
