/**
 * Parses a slash command typed in a terminal — `/remind in:10m text:buy milk`
 * or `/config set key:prefix value:?` — into the options Discord would send,
 * converted to each option's declared type. Errors say which option and why.
 *
 * @example
 * ```ts
 * const parsed = parseSlashLine("/echo text:hi there", commands);
 * // { name: "echo", options: [{ name: "text", type: 3, value: "hi there" }] }
 * ```
 *
 * @module
 */

/** An option as a command declares it (Discord's registration shape). */
export interface DeclaredOption {
  type: number;
  name: string;
  required?: boolean;
  choices?: { name: string; value: string | number }[];
  options?: DeclaredOption[];
}

/** A registered chat-input command. */
export interface DeclaredCommand {
  name: string;
  options?: DeclaredOption[];
}

/** An option as an interaction carries it. */
export interface GivenOption {
  name: string;
  type: number;
  value?: string | number | boolean;
  options?: GivenOption[];
}

/** A slash line the user typed, resolved against the registered commands. */
export interface ParsedSlash {
  name: string;
  options: GivenOption[];
}

/** The line could not be turned into an invocation; the message says why. */
export class SlashParseError extends Error {
  override name = "SlashParseError";
}

function convert(option: DeclaredOption, raw: string): string | number | boolean {
  const text = raw.trim();
  switch (option.type) {
    case 4: {
      const n = Number(text);
      if (!Number.isInteger(n)) throw new SlashParseError(`${option.name} must be a whole number`);
      return n;
    }
    case 10: {
      const n = Number(text);
      if (text === "" || !Number.isFinite(n)) {
        throw new SlashParseError(`${option.name} must be a number`);
      }
      return n;
    }
    case 5:
      if (!/^(true|false|yes|no)$/i.test(text)) {
        throw new SlashParseError(`${option.name} must be true or false`);
      }
      return /^(true|yes)$/i.test(text);
    case 6:
    case 7:
    case 8:
    case 9:
      // Mentions (<@id>, <#id>, <@&id>) or bare ids.
      return text.replace(/^<[@#]?[!&]?(\d+)>$/, "$1");
    default: {
      const choice = option.choices?.find((c) => c.name === text || String(c.value) === text);
      if (option.choices?.length && !choice) {
        throw new SlashParseError(
          `${option.name} must be one of: ${option.choices.map((c) => c.name).join(", ")}`,
        );
      }
      return choice ? choice.value : text;
    }
  }
}

/** Splits `a:1 b:two words` into pairs; a value runs until the next ` name:`. */
function pairs(text: string): [string, string][] {
  const out: [string, string][] = [];
  const parts = text.split(/\s+(?=[\w-]+:)/).filter((p) => p.trim() !== "");
  for (const part of parts) {
    const at = part.indexOf(":");
    if (at <= 0) throw new SlashParseError(`expected name:value, got "${part.trim()}"`);
    out.push([part.slice(0, at).trim(), part.slice(at + 1)]);
  }
  return out;
}

function leafOptions(declared: DeclaredOption[], text: string, path: string): GivenOption[] {
  const given = pairs(text).map(([name, raw]) => {
    const option = declared.find((o) => o.name === name);
    if (!option) {
      const known = declared.map((o) => o.name).join(", ") || "none";
      throw new SlashParseError(`${path} has no option "${name}" (options: ${known})`);
    }
    return { name, type: option.type, value: convert(option, raw) };
  });
  const missing = declared.filter((o) => o.required && !given.some((g) => g.name === o.name));
  if (missing.length) {
    throw new SlashParseError(
      `${path} needs ${missing.map((o) => `${o.name}:<value>`).join(" ")}`,
    );
  }
  return given;
}

/** Resolves a `/name …` line against the registered commands. */
export function parseSlashLine(line: string, commands: DeclaredCommand[]): ParsedSlash {
  const match = /^\/([\w-]+)\s*(.*)$/s.exec(line.trim());
  if (!match) throw new SlashParseError("a slash command starts with /name");
  const [, name, rest] = match;
  const command = commands.find((c) => c.name === name);
  if (!command) {
    const known = commands.map((c) => `/${c.name}`).join(", ") || "none registered yet";
    throw new SlashParseError(`unknown command /${name} (commands: ${known})`);
  }
  let declared = command.options ?? [];
  let text = rest;
  const chain: GivenOption[] = [];
  // Subcommand groups (2) and subcommands (1) come first as bare words.
  while (declared.some((o) => o.type === 1 || o.type === 2)) {
    const word = /^([\w-]+)(?:\s+|$)(.*)$/s.exec(text);
    const sub = word && !word[1].includes(":")
      ? declared.find((o) => o.name === word[1] && (o.type === 1 || o.type === 2))
      : undefined;
    if (!sub || !word) {
      const subs = declared.filter((o) => o.type === 1 || o.type === 2).map((o) => o.name);
      throw new SlashParseError(`/${name} needs a subcommand: ${subs.join(", ")}`);
    }
    chain.push({ name: sub.name, type: sub.type, options: [] });
    declared = sub.options ?? [];
    text = word[2];
  }
  const leaf = leafOptions(declared, text, `/${[name, ...chain.map((c) => c.name)].join(" ")}`);
  if (chain.length === 0) return { name, options: leaf };
  chain[chain.length - 1].options = leaf;
  for (let i = chain.length - 1; i > 0; i--) chain[i - 1].options = [chain[i]];
  return { name, options: [chain[0]] };
}
