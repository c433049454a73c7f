/**
 * The host's parser of what a worker posts (untrusted): anything that does
 * not fit a `WorkerToHost` shape is refused with a readable reason.
 *
 * @module
 */

import type {
  CommandDefinition,
  CommandOptionDefinition,
  CronDefinition,
} from "../declarations.ts";
import { OPERATION_NAMES, type OperationName } from "../operations.ts";
import { LOG_LEVELS, type LogLevel } from "../values.ts";
import { PROTOCOL_VERSION } from "../version.ts";
import type { WorkerToHost } from "../worker_messages.ts";
import { fail, int, Invalid, record, str } from "./fields.ts";

const MAX_LOG_LINE = 8_192;
const MAX_ERROR = 16_384;
const MAX_COMMANDS = 100;

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
    case "call": {
      const op = m.op as OperationName;
      if (!OPERATION_NAMES.includes(op)) fail("message.op", `unknown operation ${String(m.op)}`);
      const callId = int(m.callId, "message.callId");
      if (m.event === undefined) return { v, type: "call", callId, op, args: m.args };
      return { v, type: "call", callId, op, args: m.args, event: int(m.event, "message.event") };
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
 * const r = parseWorkerMessage({ v: 3, type: "log", level: "info", message: "hi" });
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
