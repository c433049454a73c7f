import assert from "node:assert/strict";
import { RawJsonStore } from "./raw_json.ts";

Deno.test("RawJsonStore keeps each text's UTF-8 bytes and gives the text back", () => {
  const store = new RawJsonStore();
  const texts = ['{"op":0,"d":{"content":"🌸 flora"}}', '{"t":"MESSAGE_CREATE","d":{}}', "[]"];
  const kept = texts.map((t) => store.store(t)!);
  assert.deepEqual(kept.map((k) => k.text()), texts);
  assert.deepEqual(kept[0].view(), new TextEncoder().encode(texts[0]));
  assert.equal(kept[0].length, new TextEncoder().encode(texts[0]).length);
});

Deno.test("RawJsonStore refuses a text with a tab or a newline: it could not ride raw", () => {
  const store = new RawJsonStore();
  assert.equal(store.store('{\n"a":1}'), null);
  assert.equal(store.store('{"a":\t1}'), null);
});

Deno.test("RawJsonStore never overwrites a kept text: a full chunk is replaced, not reused", () => {
  const store = new RawJsonStore();
  // Far more than one 64 KiB chunk holds, every text still as it was stored.
  const texts = Array.from(
    { length: 2_000 },
    (_, i) => JSON.stringify({ i, pad: "é".repeat(i % 300) }),
  );
  const kept = texts.map((t) => store.store(t)!);
  assert.ok(new Set(kept.map((k) => k.bytes)).size > 1, "several chunks");
  assert.deepEqual(kept.map((k) => k.text()), texts);
});

Deno.test("RawJsonStore gives a text larger than a chunk bytes of its own", () => {
  const store = new RawJsonStore();
  const small = store.store('{"a":1}')!;
  const big = JSON.stringify({ content: "x".repeat(100_000) });
  const kept = store.store(big)!;
  assert.equal(kept.text(), big);
  assert.notEqual(kept.bytes, small.bytes);
  assert.equal(small.text(), '{"a":1}');
  // The chunk in use goes on serving small texts.
  assert.equal(store.store("[1]")!.bytes, small.bytes);
});
