/**
 * Splits a prefix command's text into arguments, keeping quoted strings
 * together.
 *
 * @example
 * ```ts
 * parseArgs(`add "two words" three`); // ["add", "two words", "three"]
 * ```
 *
 * @module
 */

/** Splits on whitespace; `"..."` and `'...'` group words, `\` escapes the next character. */
export function parseArgs(text: string): string[] {
  const args: string[] = [];
  let current = "";
  let quote: string | null = null;
  let inArg = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "\\" && i + 1 < text.length) {
      current += text[++i];
      inArg = true;
    } else if (quote) {
      if (ch === quote) quote = null;
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inArg = true;
    } else if (/\s/.test(ch)) {
      if (inArg) args.push(current);
      current = "";
      inArg = false;
    } else {
      current += ch;
      inArg = true;
    }
  }
  if (inArg) args.push(current);
  return args;
}
