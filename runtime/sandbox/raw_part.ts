/**
 * Which JSON texts may ride raw after an ndjson line's value (shared by the
 * writer, `ndjson.ts`, and the byte store, `raw_json.ts`).
 *
 * @module
 */

/**
 * Whether a JSON text can ride raw after a line's value: it holds no tab or
 * newline (compact JSON, such as Discord's gateway frames, holds neither).
 *
 * @example
 * ```ts
 * isRawPart('{"t":"MESSAGE_CREATE","d":{}}'); // true
 * isRawPart('{\n  "pretty": true\n}'); // false
 * ```
 */
export function isRawPart(json: string): boolean {
  // Two scans for a character beat one regular expression with a class of two (≈ 4×).
  return json.indexOf("\n") === -1 && json.indexOf("\t") === -1;
}
