/**
 * Parses a prefix command's words against its declared arguments, so a
 * handler gets typed values (`ctx.args.user`, `ctx.args.count`) and a
 * message that does not fit gets a usage line instead.
 *
 * @module
 */

import type { PrefixArg } from "./types.ts";

/** A message that did not fit the command's arguments; the text is shown to the user. */
export class UsageError extends Error {
  override name = "UsageError";
}

const MENTION = {
  user: /^<@!?(\d{1,20})>$/,
  channel: /^<#(\d{1,20})>$/,
  role: /^<@&(\d{1,20})>$/,
} as const;

/** `!name <user> [reason...]` for a command's declared arguments. */
export function usage(prefix: string, name: string, args: readonly PrefixArg[]): string {
  const parts = args.map((a) => {
    const label = a.type === "rest" ? `${a.name}...` : `${a.name}:${a.type}`;
    return a.required === false ? `[${label}]` : `<${label}>`;
  });
  return [`${prefix}${name}`, ...parts].join(" ");
}

function parseOne(arg: PrefixArg, word: string): string | number | boolean {
  switch (arg.type) {
    case "number":
    case "integer": {
      const n = Number(word);
      if (
        word.trim() === "" || !Number.isFinite(n) ||
        (arg.type === "integer" && !Number.isInteger(n))
      ) {
        throw new UsageError(
          `${arg.name} must be ${
            arg.type === "integer" ? "a whole number" : "a number"
          }, not "${word}"`,
        );
      }
      return n;
    }
    case "boolean": {
      const w = word.toLowerCase();
      if (["true", "yes", "on", "1"].includes(w)) return true;
      if (["false", "no", "off", "0"].includes(w)) return false;
      throw new UsageError(`${arg.name} must be yes or no, not "${word}"`);
    }
    case "user":
    case "channel":
    case "role": {
      const id = MENTION[arg.type].exec(word)?.[1] ?? (/^\d{1,20}$/.test(word) ? word : undefined);
      if (!id) {
        throw new UsageError(`${arg.name} must be a ${arg.type} mention or id, not "${word}"`);
      }
      return id;
    }
    default:
      return word;
  }
}

/**
 * Parses `words` (and the raw text after the command name, for `rest`).
 *
 * @example
 * ```ts
 * parsePrefixArgs([{ name: "n", type: "integer" }], ["3"], "3"); // { n: 3 }
 * ```
 */
export function parsePrefixArgs(
  args: readonly PrefixArg[],
  words: string[],
  rawRest: string,
): Record<string, string | number | boolean | undefined> {
  const out: Record<string, string | number | boolean | undefined> = {};
  let rest = rawRest;
  args.forEach((arg, i) => {
    if (arg.type === "rest") {
      const text = rest.trim();
      if (!text && arg.required !== false) throw new UsageError(`${arg.name} is missing`);
      out[arg.name] = text || undefined;
      return;
    }
    const word = words[i];
    if (word === undefined) {
      if (arg.required !== false) throw new UsageError(`${arg.name} is missing`);
      out[arg.name] = undefined;
      return;
    }
    out[arg.name] = parseOne(arg, word);
    rest = skipWord(rest);
  });
  if (!args.some((a) => a.type === "rest") && words.length > args.length) {
    throw new UsageError(`too many arguments (expected at most ${args.length})`);
  }
  return out;
}

/** Drops the first (possibly quoted) word of `text`. */
function skipWord(text: string): string {
  const t = text.trimStart();
  const quote = t[0] === '"' || t[0] === "'" ? t[0] : null;
  if (quote) {
    const end = t.indexOf(quote, 1);
    return end < 0 ? "" : t.slice(end + 1);
  }
  const space = t.search(/\s/);
  return space < 0 ? "" : t.slice(space);
}
