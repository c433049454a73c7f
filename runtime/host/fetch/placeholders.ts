/**
 * Secret placeholders: a script writes `secret("NAME")` (the marker
 * `{{flora-secret:NAME}}`) where a secret belongs in a request's URL,
 * headers or body; the host replaces the marker with the value only for a
 * host that secret allows. The script never holds the value.
 *
 * The marker is also recognised percent-encoded (`%7B%7Bflora-secret%3ANAME%7D%7D`),
 * as a URL or a form body carries it; the value is then percent-encoded too.
 *
 * @module
 */

/** The marker for secret `name`, as the SDK's `secret()` returns it. */
export function secretMarker(name: string): string {
  return `{{flora-secret:${name}}}`;
}

const MARKER = /(?:\{|%7b){2}flora-secret(?::|%3a)([A-Za-z_][A-Za-z0-9_]{0,63})(?:\}|%7d){2}/gi;

/** Names of the secrets `text` refers to. */
export function secretNames(text: string): string[] {
  return [...text.matchAll(MARKER)].map((m) => m[1]);
}

/**
 * Replaces every marker in `text` with `valueOf(name, encoded)`, where
 * `encoded` says the marker was percent-encoded (so the value should be too).
 */
export function substitute(
  text: string,
  valueOf: (name: string, encoded: boolean) => string,
): string {
  return text.replace(MARKER, (marker, name: string) => valueOf(name, marker.includes("%")));
}

/** Bytes as a string of one char per byte, so markers can be found in any body. */
export function bytesToLatin1(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return out;
}

/** The inverse of {@linkcode bytesToLatin1}. */
export function latin1ToBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** A UTF-8 value as one char per byte, to splice into a latin1 body. */
export function utf8AsLatin1(value: string): string {
  return bytesToLatin1(new TextEncoder().encode(value));
}
