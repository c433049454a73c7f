/**
 * The sandbox protocol: every message exchanged between the host, a sandbox
 * process and a guild's worker. Versioned and typed in this one module.
 *
 * Two hops carry these messages:
 *
 * ```
 * host ──(ndjson, Unix socket or stdio)── sandbox process ──(postMessage)── worker
 *       HostToProcess / ProcessToHost        HostToWorker / WorkerToHost
 * ```
 *
 * The sandbox process is flora's own code and tags what a worker says with
 * that worker's guild and deployment, so a worker can never claim to be
 * another guild. Anything a worker says is untrusted: the host parses it with
 * {@linkcode parseWorkerMessage} and drops what does not fit.
 *
 * @module
 */

/** Bumped on any incompatible change to a message shape. */
export const PROTOCOL_VERSION = 2 as const;

// ---------------------------------------------------------------------------
// Shared shapes

/** Log levels a script can write at. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = typeof LOG_LEVELS[number];

/** One option of a slash command as registered with Discord (snake_case, Discord's shape). */
export interface CommandOptionDefinition {
  type: number;
  name: string;
  description: string;
  required?: boolean;
  choices?: { name: string; value: string | number }[];
  options?: CommandOptionDefinition[];
  min_value?: number;
  max_value?: number;
  min_length?: number;
  max_length?: number;
  autocomplete?: boolean;
  channel_types?: number[];
}

/** An application command as registered with Discord for the guild (bulk overwrite body item). */
export interface CommandDefinition {
  name: string;
  description: string;
  /** 1 chat input, 2 user, 3 message. */
  type: number;
  options?: CommandOptionDefinition[];
  default_member_permissions?: string | null;
}

/** Events a guild script can receive; payloads are Discord's dispatch data (snake_case). */
export const SCRIPT_EVENT_NAMES = [
  "ready",
  "messageCreate",
  "messageUpdate",
  "messageDelete",
  "messageDeleteBulk",
  "reactionAdd",
  "reactionRemove",
  "reactionRemoveAll",
  "reactionRemoveEmoji",
  "memberAdd",
  "memberUpdate",
  "memberRemove",
  "roleCreate",
  "roleUpdate",
  "roleDelete",
  "channelCreate",
  "channelUpdate",
  "channelDelete",
  "threadCreate",
  "threadUpdate",
  "threadDelete",
  "guildUpdate",
  "interactionCreate",
  /** A `cron()` job is due; payload `{ name, scheduledAt }`. Fired by the host's scheduler. */
  "cron",
] as const;
export type ScriptEventName = typeof SCRIPT_EVENT_NAMES[number];

/**
 * Chatty events: losing one costs nobody an answer. The host drops them past
 * a guild's backlog, and several may reach a worker in one
 * {@linkcode EventBatchMessage} (a worker wake-up costs far more than a
 * no-op handler, so batching is what lets throughput scale).
 */
export const DROPPABLE_EVENTS: ReadonlySet<string> = new Set<string>([
  "messageCreate",
  "messageUpdate",
  "typingStart",
  "presenceUpdate",
]);

/**
 * Whether an event may be dropped under backlog (and batched).
 *
 * @example
 * ```ts
 * isDroppable("messageCreate"); // true
 * isDroppable("interactionCreate"); // false: somebody waits for an answer
 * ```
 */
export function isDroppable(name: string): boolean {
  return DROPPABLE_EVENTS.has(name);
}

/**
 * How many events from `start` make one batch: the event alone, or the run
 * of consecutive droppable events there, at most `max`.
 *
 * @example
 * ```ts
 * const names = ["messageCreate", "messageUpdate", "interactionCreate"].map((name) => ({ name }));
 * batchLength(names, 0, 64); // 2
 * batchLength(names, 2, 64); // 1
 * ```
 */
export function batchLength(
  events: ArrayLike<{ name: string } | undefined>,
  start: number,
  max: number,
): number {
  const first = events[start];
  if (!first) return 0;
  if (!isDroppable(first.name)) return 1;
  let n = 1;
  while (n < max && start + n < events.length) {
    const next = events[start + n];
    if (!next || !isDroppable(next.name)) break;
    n++;
  }
  return n;
}

/** A `cron()` job a script declared: five-field UTC expression. */
export interface CronDefinition {
  name: string;
  schedule: string;
  /** Skip a run while the previous run of the same job is still going. */
  skipIfRunning: boolean;
}

/** Budgets the host imposes on a worker; the process enforces them from outside the worker. */
export interface SandboxLimits {
  /** Longest a single event handler may run, in ms. */
  eventTimeoutMs: number;
  /** Longest the script's top-level evaluation may take, in ms. */
  loadTimeoutMs: number;
  /** Longest one `cron` run may take, in ms (default: `eventTimeoutMs`). */
  cronTimeoutMs?: number;
  /**
   * Heap a worker may report before it is stopped, MiB (default: none). An
   * early signal only (the worker reports it); the process's V8 heap limit is
   * the real guarantee.
   */
  workerHeapMb?: number;
  /** How often the process checks each worker is responsive, ms (default 200). */
  pingIntervalMs?: number;
  /** Resident memory a whole sandbox process may reach before it sheds a worker, MiB. */
  processMemoryMb?: number;
  /** The sliding window over which a worker's CPU share is measured, ms (default 30,000). */
  cpuWindowMs?: number;
  /**
   * Share of one CPU core (0–1) a worker may use over `cpuWindowMs` before it
   * is stopped (default 0.5; 1: no limit).
   */
  maxCpuShare?: number;
}

// ---------------------------------------------------------------------------
// Host → worker (relayed by the sandbox process)

/** Evaluate the bundled script. Sent once, first. */
export interface LoadMessage {
  v: typeof PROTOCOL_VERSION;
  type: "load";
  guildId: string;
  deploymentId: string;
  entry: string;
  code: string;
  sourceMap?: string;
}

/** One gateway event, as relayed to the sandbox process. */
export interface EventMessage {
  /** Per-worker sequence number, echoed in {@linkcode DoneMessage}. */
  id: number;
  name: ScriptEventName;
  payload: unknown;
}

/** The answer to a worker's {@linkcode CallMessage}. */
export type ResultMessage =
  & { v: typeof PROTOCOL_VERSION; type: "result"; callId: number }
  & ({ ok: true; value: unknown } | { ok: false; error: string });

/**
 * Liveness check from the sandbox process. Answered by the worker runtime's
 * own message loop, so a worker stuck in a synchronous loop cannot answer,
 * whatever it claims in `done` messages.
 */
export interface PingMessage {
  v: typeof PROTOCOL_VERSION;
  type: "ping";
  seq: number;
}

/**
 * Events handed to a worker at once, run one after another in order: a lone
 * event, or consecutive {@link isDroppable droppable} ones ({@linkcode batchLength}).
 * The host builds them (one batch in flight per worker); the sandbox process
 * cuts what it hands over by the same rule, so a batch it relays is never
 * mixed. The worker answers with {@linkcode DoneMessage}s, each covering the
 * events finished since the last.
 */
export interface EventBatchMessage {
  v: typeof PROTOCOL_VERSION;
  type: "events";
  events: EventMessage[];
}

export type HostToWorker = LoadMessage | EventBatchMessage | ResultMessage | PingMessage;

/**
 * The worker's answer to {@linkcode PingMessage}, with its isolate's heap
 * figures. Consumed by the sandbox process, never relayed to the host.
 */
export interface PongMessage {
  v: typeof PROTOCOL_VERSION;
  type: "pong";
  seq: number;
  /** `Deno.memoryUsage().heapUsed` of the worker's isolate, bytes. */
  heapUsed: number;
  /** `Deno.memoryUsage().external` (array buffers…), bytes. */
  external: number;
  /** CPU time of the worker's thread so far, ms (absent when the runtime cannot tell). */
  cpuMs?: number;
}

// ---------------------------------------------------------------------------
// Worker → host (untrusted; validated by the host)

/** A Discord message body (content, embeds, components…), in Discord's shape. */
export type MessageBody = Record<string, unknown>;

/** Host operations a script may ask for, with their argument shapes. */
export interface OperationArgsMap {
  /** Initial response to an interaction the guild received (4 message, 5 deferred, 6 deferred update, 7 update, 8 autocomplete, 9 modal). */
  "interaction.respond": {
    interactionId: string;
    type: 4 | 5 | 6 | 7 | 8 | 9;
    data?: MessageBody;
  };
  /** Follow-up message to an interaction. */
  "interaction.followUp": { interactionId: string; data: MessageBody };
  /** Edit the original response of an interaction. */
  "interaction.editReply": { interactionId: string; data: MessageBody };
  /** Send a message to one of the guild's channels. */
  "message.send": { channelId: string; data: MessageBody };
  /** Delete the original response of an interaction. */
  "interaction.deleteReply": { interactionId: string };
  /** Edit a message in one of the guild's channels. */
  "message.edit": { channelId: string; messageId: string; data: MessageBody };
  /** Delete a message in one of the guild's channels. */
  "message.delete": { channelId: string; messageId: string; reason?: string };
  /** Fetch one message. */
  "message.get": { channelId: string; messageId: string };
  /** Fetch recent messages of a channel (newest first, at most 100). */
  "message.list": { channelId: string; limit?: number; before?: string; after?: string };
  /** React to a message as the bot. */
  "reaction.add": { channelId: string; messageId: string; emoji: string };
  /** Remove the bot's reaction, or a user's when `userId` is given. */
  "reaction.remove": { channelId: string; messageId: string; emoji: string; userId?: string };
  /** Remove every reaction, or every reaction with one emoji. */
  "reaction.removeAll": { channelId: string; messageId: string; emoji?: string };
  "pin.add": { channelId: string; messageId: string };
  "pin.remove": { channelId: string; messageId: string };
  /** Start a thread, from a message when `messageId` is given. */
  "thread.create": {
    channelId: string;
    name: string;
    messageId?: string;
    autoArchiveDuration?: number;
    private?: boolean;
  };
  "member.get": { userId: string };
  "member.list": { limit?: number; after?: string };
  "member.addRole": { userId: string; roleId: string; reason?: string };
  "member.removeRole": { userId: string; roleId: string; reason?: string };
  /** Time a member out until an ISO 8601 instant (null lifts it). */
  "member.timeout": { userId: string; until: string | null; reason?: string };
  "member.kick": { userId: string; reason?: string };
  "member.ban": { userId: string; deleteMessageSeconds?: number; reason?: string };
  "member.unban": { userId: string; reason?: string };
  "role.list": Record<string, never>;
  "channel.get": { channelId: string };
  "channel.list": Record<string, never>;
  "kv.get": { store: string; key: string };
  "kv.set": { store: string; key: string; value: JsonValue; ttlMs?: number; metadata?: JsonValue };
  "kv.delete": { store: string; key: string };
  "kv.list": { store: string; prefix?: string; cursor?: string; limit?: number };
  /** Set only if the entry's version is `expectedVersion` (null: only if absent). */
  "kv.compareAndSet": {
    store: string;
    key: string;
    expectedVersion: string | null;
    value: JsonValue;
    ttlMs?: number;
    metadata?: JsonValue;
  };
  "kv.increment": { store: string; key: string; by: number };
  /** An outbound HTTP request; the host checks hosts and addresses and fills in secrets. */
  fetch: FetchArgs;
}

/** A script's outbound request, as the SDK's `fetch` sends it. */
export interface FetchArgs {
  url: string;
  method: string;
  headers: [string, string][];
  /** The body, base64. */
  body?: string;
  /** What to do with a 3xx answer (the `RequestInit.redirect` values). */
  redirect?: "follow" | "manual" | "error";
}

/** The host's answer to a `fetch` operation. */
export interface FetchResult {
  status: number;
  statusText: string;
  headers: [string, string][];
  /** The body, base64. */
  body: string;
  /** The URL of the last hop (after redirects). */
  url: string;
  redirected: boolean;
}

/** Largest fetch body the protocol carries (decoded bytes); the host's own limit is lower. */
export const MAX_FETCH_BODY_BYTES = 16 * 1024 * 1024;

/** A JSON value (what KV stores hold). */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

export type OperationName = keyof OperationArgsMap;
export type OperationArgs<N extends OperationName> = OperationArgsMap[N];

/** Names of every operation, for validation. */
export const OPERATION_NAMES: readonly OperationName[] = [
  "interaction.respond",
  "interaction.followUp",
  "interaction.editReply",
  "message.send",
  "interaction.deleteReply",
  "message.edit",
  "message.delete",
  "message.get",
  "message.list",
  "reaction.add",
  "reaction.remove",
  "reaction.removeAll",
  "pin.add",
  "pin.remove",
  "thread.create",
  "member.get",
  "member.list",
  "member.addRole",
  "member.removeRole",
  "member.timeout",
  "member.kick",
  "member.ban",
  "member.unban",
  "role.list",
  "channel.get",
  "channel.list",
  "kv.get",
  "kv.set",
  "kv.delete",
  "kv.list",
  "kv.compareAndSet",
  "kv.increment",
  "fetch",
];

/** The script finished evaluating; these are its commands to register. */
export interface LoadedMessage {
  v: typeof PROTOCOL_VERSION;
  type: "loaded";
  commands: CommandDefinition[];
  /** Scheduled jobs the script declared with `cron()`. */
  crons?: CronDefinition[];
}

/** The script threw (or timed out) while evaluating. */
export interface LoadFailedMessage {
  v: typeof PROTOCOL_VERSION;
  type: "loadFailed";
  error: string;
}

/** One finished event handler (with the error it threw, if any). */
export interface FinishedEvent {
  id: number;
  error?: string;
  /** When the handler started: `performance.timeOrigin + performance.now()` (dispatch latency). */
  startedAt?: number;
}

/** Event handlers finished, in the order they ran. */
export interface DoneMessage {
  v: typeof PROTOCOL_VERSION;
  type: "done";
  events: FinishedEvent[];
  /**
   * CPU time of the worker's thread so far, ms, as in {@linkcode PongMessage}:
   * a busy worker reports through its batches and needs no pings. The sandbox
   * process reads it for its CPU rules and relays its latest figure to the
   * host, which charges the growth to the guild's usage.
   */
  cpuMs?: number;
}

/** The script asks the host to do something on its behalf. */
export interface CallMessage {
  v: typeof PROTOCOL_VERSION;
  type: "call";
  callId: number;
  op: OperationName;
  args: unknown;
}

/** A line of the script's console. */
export interface LogMessage {
  v: typeof PROTOCOL_VERSION;
  type: "log";
  level: LogLevel;
  message: string;
}

export type WorkerToHost =
  | LoadedMessage
  | LoadFailedMessage
  | DoneMessage
  | CallMessage
  | LogMessage;

const MAX_LOG_LINE = 8_192;
const MAX_ERROR = 16_384;
const MAX_COMMANDS = 100;

/** A validation failure: what was wrong, where. */
class Invalid extends Error {}

function fail(path: string, what: string): never {
  throw new Invalid(`${path}: ${what}`);
}

function record(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail(path, "expected an object");
  }
  return value as Record<string, unknown>;
}

function str(value: unknown, path: string, min = 0, max = Infinity): string {
  if (typeof value !== "string") fail(path, "expected a string");
  if (value.length < min || value.length > max) fail(path, `length must be ${min}–${max}`);
  return value;
}

function snowflake(value: unknown, path: string): string {
  if (typeof value !== "string" || !/^\d{1,20}$/.test(value)) fail(path, "expected a snowflake id");
  return value;
}

function int(value: unknown, path: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) fail(path, "expected an integer ≥ 0");
  return value as number;
}

function optional<T>(value: unknown, check: (v: unknown) => T): T | undefined {
  return value === undefined ? undefined : check(value);
}

function commandOption(value: unknown, path: string, depth: number): CommandOptionDefinition {
  const o = record(value, path);
  const type = int(o.type, `${path}.type`);
  if (type < 1 || type > 11) fail(`${path}.type`, "must be an option type 1–11");
  const out: CommandOptionDefinition = {
    type,
    name: str(o.name, `${path}.name`, 1, 32),
    description: str(o.description, `${path}.description`, 1, 100),
  };
  if (o.required !== undefined) out.required = o.required === true;
  if (o.choices !== undefined) {
    if (!Array.isArray(o.choices) || o.choices.length > 25) fail(`${path}.choices`, "at most 25");
    out.choices = o.choices.map((c, i) => {
      const choice = record(c, `${path}.choices[${i}]`);
      const v = choice.value;
      if (typeof v !== "string" && typeof v !== "number") {
        fail(`${path}.choices[${i}].value`, "expected a string or number");
      }
      return { name: str(choice.name, `${path}.choices[${i}].name`, 1, 100), value: v };
    });
  }
  if (o.options !== undefined) {
    if (depth >= 2) fail(`${path}.options`, "nested too deeply");
    if (!Array.isArray(o.options) || o.options.length > 25) fail(`${path}.options`, "at most 25");
    out.options = o.options.map((x, i) => commandOption(x, `${path}.options[${i}]`, depth + 1));
  }
  for (const key of ["min_value", "max_value", "min_length", "max_length"] as const) {
    if (o[key] !== undefined) {
      if (typeof o[key] !== "number") fail(`${path}.${key}`, "expected a number");
      out[key] = o[key] as number;
    }
  }
  if (o.autocomplete !== undefined) out.autocomplete = o.autocomplete === true;
  if (o.channel_types !== undefined) {
    if (!Array.isArray(o.channel_types)) fail(`${path}.channel_types`, "expected an array");
    out.channel_types = o.channel_types.map((t, i) => int(t, `${path}.channel_types[${i}]`));
  }
  return out;
}

function command(value: unknown, path: string): CommandDefinition {
  const c = record(value, path);
  const type = int(c.type, `${path}.type`);
  if (type < 1 || type > 3) fail(`${path}.type`, "must be 1, 2 or 3");
  const out: CommandDefinition = {
    name: str(c.name, `${path}.name`, 1, 32),
    description: str(c.description, `${path}.description`, 0, 100),
    type,
  };
  if (c.options !== undefined) {
    if (!Array.isArray(c.options) || c.options.length > 25) fail(`${path}.options`, "at most 25");
    out.options = c.options.map((x, i) => commandOption(x, `${path}.options[${i}]`, 0));
  }
  if (c.default_member_permissions !== undefined) {
    const p = c.default_member_permissions;
    if (p !== null && (typeof p !== "string" || !/^\d+$/.test(p))) {
      fail(`${path}.default_member_permissions`, "expected a decimal string or null");
    }
    out.default_member_permissions = p as string | null;
  }
  return out;
}

const MAX_CRONS = 50;
const CRON_FIELD = /^[\d*,\/\-A-Za-z?LW#]+$/;

function cronList(value: unknown): CronDefinition[] {
  if (!Array.isArray(value) || value.length > MAX_CRONS) {
    fail("message.crons", `expected an array of at most ${MAX_CRONS}`);
  }
  return value.map((raw, i) => {
    const c = record(raw, `crons[${i}]`);
    const schedule = str(c.schedule, `crons[${i}].schedule`, 1, 100).trim();
    const fields = schedule.split(/\s+/);
    if (fields.length !== 5 || !fields.every((f) => CRON_FIELD.test(f))) {
      fail(`crons[${i}].schedule`, "expected five cron fields (minute hour day month weekday)");
    }
    return {
      name: str(c.name, `crons[${i}].name`, 1, 64),
      schedule,
      skipIfRunning: c.skipIfRunning === true,
    };
  });
}

/** Most events a sandbox process hands a worker in one {@linkcode EventBatchMessage}. */
export const MAX_BATCH = 64;

function finishedEvent(raw: unknown, i: number): FinishedEvent {
  const e = record(raw, `events[${i}]`);
  const error = optional(e.error, (x) => str(x, `events[${i}].error`).slice(0, MAX_ERROR));
  const startedAt = optional(e.startedAt, (t) => {
    if (typeof t !== "number" || !Number.isFinite(t)) {
      fail(`events[${i}].startedAt`, "expected a time");
    }
    return t;
  });
  return {
    id: int(e.id, `events[${i}].id`),
    ...(error ? { error } : {}),
    ...(startedAt !== undefined ? { startedAt } : {}),
  };
}

function workerMessage(raw: unknown): WorkerToHost {
  const m = record(raw, "message");
  if (m.v !== PROTOCOL_VERSION) fail("message.v", `expected protocol version ${PROTOCOL_VERSION}`);
  const v = PROTOCOL_VERSION;
  switch (m.type) {
    case "loaded": {
      if (!Array.isArray(m.commands) || m.commands.length > MAX_COMMANDS) {
        fail("message.commands", `expected an array of at most ${MAX_COMMANDS}`);
      }
      return {
        v,
        type: "loaded",
        commands: m.commands.map((c, i) => command(c, `commands[${i}]`)),
        ...(m.crons === undefined ? {} : { crons: cronList(m.crons) }),
      };
    }
    case "loadFailed":
      return { v, type: "loadFailed", error: str(m.error, "message.error").slice(0, MAX_ERROR) };
    case "done": {
      if (!Array.isArray(m.events) || m.events.length === 0 || m.events.length > MAX_BATCH) {
        fail("message.events", `expected an array of 1 to ${MAX_BATCH} finished events`);
      }
      const events = m.events.map(finishedEvent);
      if (m.cpuMs === undefined) return { v, type: "done", events };
      if (typeof m.cpuMs !== "number" || !Number.isFinite(m.cpuMs) || m.cpuMs < 0) {
        fail("message.cpuMs", "expected a finite number of milliseconds, 0 or more");
      }
      return { v, type: "done", events, cpuMs: m.cpuMs };
    }
    case "call": {
      const op = m.op as OperationName;
      if (!OPERATION_NAMES.includes(op)) fail("message.op", `unknown operation ${String(m.op)}`);
      return { v, type: "call", callId: int(m.callId, "message.callId"), op, args: m.args };
    }
    case "log": {
      const level = m.level as LogLevel;
      if (!LOG_LEVELS.includes(level)) {
        fail("message.level", `expected one of ${LOG_LEVELS.join(", ")}`);
      }
      return {
        v,
        type: "log",
        level,
        message: str(m.message, "message.message").slice(0, MAX_LOG_LINE),
      };
    }
    default:
      fail("message.type", `unknown message type ${String(m.type)}`);
  }
}

/**
 * Parses a message that claims to come from a worker. Returns a readable
 * reason instead of throwing, so a hostile worker can never crash the host.
 *
 * @example
 * ```ts
 * const r = parseWorkerMessage({ v: 2, type: "log", level: "info", message: "hi" });
 * if (r.ok) console.log(r.message.type); // "log"
 * ```
 */
export function parseWorkerMessage(
  raw: unknown,
): { ok: true; message: WorkerToHost } | { ok: false; error: string } {
  try {
    return { ok: true, message: workerMessage(raw) };
  } catch (error) {
    if (error instanceof Invalid) return { ok: false, error: error.message };
    throw error;
  }
}

const RESPONSE_TYPES = [4, 5, 6, 7, 8, 9];

/** Store names starting with this are the host's own (e.g. cron state); scripts cannot use them. */
export const RESERVED_STORE_PREFIX = "flora.";

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

function storeName(value: unknown): string {
  const name = str(value, "args.store", 1, 64);
  if (name.startsWith(RESERVED_STORE_PREFIX)) {
    fail("args.store", `store names starting with "${RESERVED_STORE_PREFIX}" are reserved`);
  }
  return name;
}

function json(value: unknown, path: string, depth = 0): JsonValue {
  if (depth > 32) fail(path, "nested too deeply");
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) fail(path, "numbers must be finite");
    return value;
  }
  if (Array.isArray(value)) return value.map((v, i) => json(v, `${path}[${i}]`, depth + 1));
  const o = record(value, path);
  const out: { [key: string]: JsonValue } = {};
  for (const [k, v] of Object.entries(o)) out[k] = json(v, `${path}.${k}`, depth + 1);
  return out;
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

/** Identifies one worker: a guild's deployment (two may run during a hot redeploy). */
export interface WorkerKey {
  guildId: string;
  deploymentId: string;
}

/** Sent once after the process starts: the pre-bundled worker runtime (SDK included). */
export interface InitMessage {
  v: typeof PROTOCOL_VERSION;
  type: "init";
  workerRuntime: string;
  limits: SandboxLimits;
}

/** Start a worker for a deployment and load its script. */
export interface SpawnMessage extends WorkerKey {
  v: typeof PROTOCOL_VERSION;
  type: "spawn";
  load: LoadMessage;
}

/** Relay a message to a worker. */
export interface ToWorkerMessage extends WorkerKey {
  v: typeof PROTOCOL_VERSION;
  type: "toWorker";
  message: EventBatchMessage | ResultMessage;
}

/** Stop a worker. */
export interface TerminateMessage extends WorkerKey {
  v: typeof PROTOCOL_VERSION;
  type: "terminate";
}

export type HostToProcess = InitMessage | SpawnMessage | ToWorkerMessage | TerminateMessage;

/** The process is up and initialised. */
export interface ProcessReadyMessage {
  v: typeof PROTOCOL_VERSION;
  type: "ready";
}

/** Something a worker posted, tagged by the process with the worker's identity. */
export interface FromWorkerMessage extends WorkerKey {
  v: typeof PROTOCOL_VERSION;
  type: "fromWorker";
  /** Untrusted: pass through {@linkcode parseWorkerMessage}. */
  message: unknown;
}

/** Why the process stopped a worker on its own. */
export type WorkerExitReason =
  | "timeout"
  | "error"
  | "unresponsive"
  | "memory"
  /** It kept using CPU with no event in flight, or more than its share of a core. */
  | "cpu"
  /** The worker's process aborted while this worker was silent: most likely its doing. */
  | "abort";

/** A worker was stopped by the process (watchdog) or died. */
export interface WorkerExitMessage extends WorkerKey {
  v: typeof PROTOCOL_VERSION;
  type: "workerExit";
  reason: WorkerExitReason;
  detail: string;
}

/**
 * The process handed events to its worker (events wait in the process until
 * the worker's previous batch is done). Events the host never saw start are
 * safe to deliver again if the worker is lost; started ones are not.
 */
export interface EventsStartedMessage extends WorkerKey {
  v: typeof PROTOCOL_VERSION;
  type: "eventsStarted";
  ids: number[];
}

/**
 * A worker has not answered pings for a while (sent each watchdog round
 * while it stays silent). If the process then aborts (V8 heap exhaustion
 * in a tight loop), the host blames this worker, not its neighbours.
 */
export interface WorkerSilentMessage extends WorkerKey {
  v: typeof PROTOCOL_VERSION;
  type: "workerSilent";
  silentMs: number;
}

export type ProcessToHost =
  | WorkerSilentMessage
  | ProcessReadyMessage
  | FromWorkerMessage
  | WorkerExitMessage
  | EventsStartedMessage;
