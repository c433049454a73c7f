/**
 * `cron()`: jobs on a five-field UTC schedule. The script declares them; the
 * host keeps the schedule (it survives restarts and redeploys) and sends a
 * `cron` event when one is due, which runs the handler here.
 *
 * @example
 * ```ts
 * cron("digest", "0 9 * * 1", async () => {
 *   await discord.sendMessage(channelId, "Weekly digest!");
 * }, { skipIfRunning: true });
 * ```
 *
 * @module
 */

import type { CronDefinition } from "../runtime/sandbox/protocol/declarations.ts";
import { log } from "./bridge.ts";
import type { CronContext, CronOptions } from "./types.ts";

interface Job {
  definition: CronDefinition;
  handler: (ctx: CronContext) => unknown;
  running: boolean;
  /** When the last run ended (epoch ms). */
  endedAt: number;
}

const jobs = new Map<string, Job>();

const FIELDS = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  {
    name: "month",
    min: 1,
    max: 12,
    names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
  },
  { name: "day of week", min: 0, max: 7, names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] },
];

function fieldValue(text: string, field: typeof FIELDS[number]): number {
  const named = field.names?.indexOf(text.toLowerCase()) ?? -1;
  if (named >= 0) return named + (field.min === 1 ? 1 : 0);
  if (!/^\d+$/.test(text)) throw new Error(`"${text}" is not a number`);
  const n = Number(text);
  if (n < field.min || n > field.max) throw new Error(`${n} is outside ${field.min}-${field.max}`);
  return n;
}

/**
 * Checks a five-field cron expression (minute hour day-of-month month
 * day-of-week; `*`, lists, ranges, steps, month and day names).
 */
export function checkCronExpression(schedule: string): string {
  if (typeof schedule !== "string") throw new TypeError("a cron schedule must be a string");
  const parts = schedule.trim().split(/\s+/);
  if (parts.length !== 5) {
    throw new TypeError(
      `cron schedule "${schedule}" has ${parts.length} fields; use five: minute hour day-of-month month day-of-week (UTC)`,
    );
  }
  parts.forEach((part, i) => {
    const field = FIELDS[i];
    try {
      for (const item of part.split(",")) {
        const [range, step] = item.split("/");
        if (step !== undefined && (!/^\d+$/.test(step) || Number(step) < 1)) {
          throw new Error(`step "${step}" must be a positive number`);
        }
        if (range === "*") continue;
        const [from, to] = range.split("-");
        const a = fieldValue(from, field);
        if (to !== undefined && fieldValue(to, field) < a) {
          throw new Error(`range "${range}" is backwards`);
        }
      }
    } catch (error) {
      throw new TypeError(
        `cron schedule "${schedule}": ${field.name} field "${part}" is invalid (${
          (error as Error).message
        })`,
      );
    }
  });
  return parts.join(" ");
}

/** Declares a job. Call at the top level of the script. */
export function cron(
  name: string,
  schedule: string,
  handler: (ctx: CronContext) => unknown,
  options: CronOptions = {},
): void {
  if (typeof name !== "string" || name.length < 1 || name.length > 64) {
    throw new TypeError("a cron job needs a name of 1-64 characters");
  }
  if (jobs.has(name)) throw new Error(`cron job "${name}" is defined twice`);
  if (typeof handler !== "function") {
    throw new TypeError(`cron job "${name}" needs a handler function`);
  }
  if (jobs.size >= 50) throw new Error("a script may declare at most 50 cron jobs");
  jobs.set(name, {
    definition: {
      name,
      schedule: checkCronExpression(schedule),
      skipIfRunning: options.skipIfRunning === true,
    },
    handler,
    running: false,
    endedAt: 0,
  });
}

/** The jobs to hand to the host's scheduler. */
export function registeredCrons(): CronDefinition[] {
  return [...jobs.values()].map((j) => j.definition);
}

/** Runs a due job (the host's `cron` event); honours `skipIfRunning`. */
export async function runCron(ctx: CronContext): Promise<void> {
  const job = jobs.get(ctx.name);
  if (!job) return;
  // Events reach the worker one at a time: a run fired while the previous one still ran
  // arrives after it ended, so compare when it was fired with when that run ended.
  const overlapping = job.running || (ctx.firedAt !== undefined && ctx.firedAt < job.endedAt);
  if (overlapping && job.definition.skipIfRunning) {
    log(
      "warn",
      `cron job "${ctx.name}" skipped at ${ctx.scheduledAt}: the previous run is still going`,
    );
    return;
  }
  job.running = true;
  try {
    await job.handler(ctx);
  } finally {
    job.running = false;
    job.endedAt = Date.now();
  }
}
