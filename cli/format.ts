/**
 * Terminal formatting: aligned tables, colored log levels, local times.
 * Colors only on a terminal and never with NO_COLOR.
 *
 * @module
 */

const COLORS = { debug: "\x1b[90m", info: "\x1b[36m", warn: "\x1b[33m", error: "\x1b[31m" };
const RESET = "\x1b[0m";

/** Whether stdout gets ANSI colors. */
export function useColor(): boolean {
  return !Deno.noColor && Deno.stdout.isTerminal();
}

/** Columns padded to their widest cell. */
export function table(headers: string[], rows: string[][]): string {
  if (rows.length === 0) return "";
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => i === cells.length - 1 ? c : c.padEnd(widths[i])).join("  ").trimEnd();
  return [line(headers), ...rows.map(line)].join("\n");
}

/** `2026-11-25 06:43:01` from an ISO time (UTC, so scripts and logs agree). */
export function when(iso: string): string {
  return iso.replace("T", " ").slice(0, 19);
}

/** One log record as the terminal shows it: time, level (colored), message. */
export function logLine(
  record: { at: string; level: string; message: string },
  color = useColor(),
): string {
  const time = record.at.slice(11, 23);
  const level = record.level.padEnd(5);
  const paint = COLORS[record.level as keyof typeof COLORS];
  return color && paint
    ? `${time} ${paint}${level}${RESET} ${record.message}`
    : `${time} ${level} ${record.message}`;
}
