/**
 * Sortable unique ids (ULID layout: 48-bit millisecond time + 80 random
 * bits, Crockford base32). Ids made by one process are strictly increasing
 * even within the same millisecond, so "newest first" can sort by id.
 *
 * @module
 */

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

let lastTime = -1;
let lastRandom = new Uint8Array(10);

function encodeTime(ms: number): string {
  let out = "";
  let rest = ms;
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[rest % 32] + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

function encodeRandom(bytes: Uint8Array): string {
  // 80 bits -> 16 base32 digits, most significant first.
  let bits = 0n;
  for (const b of bytes) bits = (bits << 8n) | BigInt(b);
  let out = "";
  for (let i = 0; i < 16; i++) {
    out = ALPHABET[Number(bits & 31n)] + out;
    bits >>= 5n;
  }
  return out;
}

/** Adds one to a big-endian byte string; false when it overflowed. */
function incrementBytes(bytes: Uint8Array): boolean {
  for (let i = bytes.length - 1; i >= 0; i--) {
    if (bytes[i] < 255) {
      bytes[i]++;
      return true;
    }
    bytes[i] = 0;
  }
  return false;
}

/** A new id, greater than every id this process made before. */
export function newId(now: number = Date.now()): string {
  let time = Math.max(now, lastTime);
  if (time === lastTime) {
    const next = lastRandom.slice();
    if (!incrementBytes(next)) {
      // 2^80 ids in one millisecond cannot happen in practice; move on a tick.
      time++;
      crypto.getRandomValues(next);
    }
    lastRandom = next;
  } else {
    lastRandom = crypto.getRandomValues(new Uint8Array(10));
  }
  lastTime = time;
  return encodeTime(time) + encodeRandom(lastRandom);
}
