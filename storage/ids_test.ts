import { assert, assertEquals } from "./contract/assert.ts";
import { newId } from "./ids.ts";

Deno.test("newId: 26 Crockford base32 characters, strictly increasing within a millisecond", () => {
  const ids = Array.from({ length: 1000 }, () => newId(1_700_000_000_000));
  assert(ids.every((id) => /^[0-9A-HJKMNP-TV-Z]{26}$/.test(id)), "format");
  assertEquals([...ids].sort(), ids);
  assertEquals(new Set(ids).size, ids.length);
});

Deno.test("newId: later times sort later; a clock going back does not reorder", () => {
  const a = newId(1_800_000_000_000);
  const b = newId(1_800_000_000_001);
  const c = newId(1_799_999_999_999); // clock stepped back
  assert(a < b && b < c, "monotonic");
  // The first 10 characters are the 48-bit millisecond time.
  const time = [...a.slice(0, 10)].reduce(
    (ms, ch) => ms * 32 + "0123456789ABCDEFGHJKMNPQRSTVWXYZ".indexOf(ch),
    0,
  );
  assertEquals(time, 1_800_000_000_000);
});
