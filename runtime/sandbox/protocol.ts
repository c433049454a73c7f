/**
 * The sandbox protocol: every message exchanged between the host, a sandbox
 * process and a guild's worker. Versioned and typed in this one module.
 *
 * Two hops carry these messages:
 *
 * ```
 * host ──(ndjson over stdio)── sandbox process ──(postMessage)── worker
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
export const PROTOCOL_VERSION = 1 as const;

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
export type ScriptEventName =
  | "ready"
  | "messageCreate"
  | "messageUpdate"
  | "messageDelete"
  | "interactionCreate";

/** Budgets the host imposes on a worker; the process enforces them from outside the worker. */
export interface SandboxLimits {
  /** Longest a single event handler may run, in ms. */
  eventTimeoutMs: number;
  /** Longest the script's top-level evaluation may take, in ms. */
  loadTimeoutMs: number;
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

/** Deliver one gateway event. The worker answers with {@linkcode DoneMessage}. */
export interface EventMessage {
  v: typeof PROTOCOL_VERSION;
  type: "event";
  /** Per-worker sequence number, echoed in `done`. */
  id: number;
  name: ScriptEventName;
  payload: unknown;
}

/** The answer to a worker's {@linkcode CallMessage}. */
export type ResultMessage =
  & { v: typeof PROTOCOL_VERSION; type: "result"; callId: number }
  & ({ ok: true; value: unknown } | { ok: false; error: string });

export type HostToWorker = LoadMessage | EventMessage | ResultMessage;

// ---------------------------------------------------------------------------
// Worker → host (untrusted; validated by the host)

/** A Discord message body (content, embeds, components…), in Discord's shape. */
export type MessageBody = Record<string, unknown>;

/** Host operations a script may ask for, with their argument shapes. */
export interface OperationArgsMap {
  /** Initial response to an interaction the guild received (4 message, 5 deferred, 6 deferred update, 7 update, 9 modal). */
  "interaction.respond": { interactionId: string; type: 4 | 5 | 6 | 7 | 9; data?: MessageBody };
  /** Follow-up message to an interaction. */
  "interaction.followUp": { interactionId: string; data: MessageBody };
  /** Edit the original response of an interaction. */
  "interaction.editReply": { interactionId: string; data: MessageBody };
  /** Send a message to one of the guild's channels. */
  "message.send": { channelId: string; data: MessageBody };
}

export type OperationName = keyof OperationArgsMap;
export type OperationArgs<N extends OperationName> = OperationArgsMap[N];

/** Names of every operation, for validation. */
export const OPERATION_NAMES: readonly OperationName[] = [
  "interaction.respond",
  "interaction.followUp",
  "interaction.editReply",
  "message.send",
];

/** The script finished evaluating; these are its commands to register. */
export interface LoadedMessage {
  v: typeof PROTOCOL_VERSION;
  type: "loaded";
  commands: CommandDefinition[];
}

/** The script threw (or timed out) while evaluating. */
export interface LoadFailedMessage {
  v: typeof PROTOCOL_VERSION;
  type: "loadFailed";
  error: string;
}

/** An event handler finished (with the error it threw, if any). */
export interface DoneMessage {
  v: typeof PROTOCOL_VERSION;
  type: "done";
  id: number;
  error?: string;
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
      };
    }
    case "loadFailed":
      return { v, type: "loadFailed", error: str(m.error, "message.error").slice(0, MAX_ERROR) };
    case "done": {
      const error = optional(m.error, (e) => str(e, "message.error").slice(0, MAX_ERROR));
      return { v, type: "done", id: int(m.id, "message.id"), ...(error ? { error } : {}) };
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
 * const r = parseWorkerMessage({ v: 1, type: "log", level: "info", message: "hi" });
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

const RESPONSE_TYPES = [4, 5, 6, 7, 9];

const operationParsers: { [N in OperationName]: (a: Record<string, unknown>) => OperationArgs<N> } =
  {
    "interaction.respond": (a) => {
      if (!RESPONSE_TYPES.includes(a.type as number)) {
        fail("args.type", `expected one of ${RESPONSE_TYPES.join(", ")}`);
      }
      return {
        interactionId: snowflake(a.interactionId, "args.interactionId"),
        type: a.type as 4 | 5 | 6 | 7 | 9,
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
  };

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
  message: EventMessage | ResultMessage;
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
export type WorkerExitReason = "timeout" | "error";

/** A worker was stopped by the process (watchdog) or died. */
export interface WorkerExitMessage extends WorkerKey {
  v: typeof PROTOCOL_VERSION;
  type: "workerExit";
  reason: WorkerExitReason;
  detail: string;
}

export type ProcessToHost = ProcessReadyMessage | FromWorkerMessage | WorkerExitMessage;
