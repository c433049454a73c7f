import assert from "node:assert/strict";
import { NdjsonWriter, readNdjson, readNdjsonBatches, readNdjsonWithRaw } from "./ndjson.ts";
import { RawJsonStore } from "./raw_json.ts";
import { isRawPart } from "./raw_part.ts";

/** A byte stream that delivers `text` cut at the given byte offsets. */
function chunked(text: string, cuts: number[]): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  const bounds = [0, ...cuts, bytes.length];
  const chunks = bounds.slice(1).map((end, i) => bytes.slice(bounds[i], end));
  return ReadableStream.from(chunks);
}

async function collect(stream: ReadableStream<Uint8Array>, invalid: string[] = []) {
  const out: unknown[] = [];
  for await (const value of readNdjson(stream, (line) => invalid.push(line))) out.push(value);
  return out;
}

Deno.test("readNdjson joins lines and characters cut across chunks", async () => {
  const text = '{"a":1}\n{"emoji":"🌸 flora"}\n\n[1,2]\n"tail"';
  // Cut inside a line, inside the 4-byte emoji, and right after a newline.
  const values = await collect(chunked(text, [3, 16, 18, 30]));
  assert.deepEqual(values, [{ a: 1 }, { emoji: "🌸 flora" }, [1, 2], "tail"]);
});

Deno.test("readNdjson skips a line that is not JSON and keeps reading", async () => {
  const invalid: string[] = [];
  const values = await collect(chunked('{"ok":1}\nnot json\n{"ok":2}\n', [5]), invalid);
  assert.deepEqual(values, [{ ok: 1 }, { ok: 2 }]);
  assert.deepEqual(invalid, ["not json"]);
});

Deno.test("NdjsonWriter's coalesced writes read back one value per message, in order", async () => {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = new NdjsonWriter(writable);
  const sent = Array.from({ length: 1_000 }, (_, i) => ({ i, text: `line\nwith newline ${i}` }));
  const reading = collect(readable);
  await Promise.all(sent.map((m) => writer.write(m)));
  await writer.close();
  assert.deepEqual(await reading, sent);
});

Deno.test({
  name: "over a socket read and written directly, large and many messages arrive whole, in order",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const path = `${dir}/link.sock`;
    const listener = Deno.listen({ transport: "unix", path });
    try {
      const [server, client] = await Promise.all([
        listener.accept(),
        Deno.connect({ transport: "unix", path }),
      ]);
      const writer = new NdjsonWriter(client);
      // Far past the socket's buffer: the writer must finish partial writes.
      const big = { text: "🌸".repeat(1_000_000) };
      // Sizes that grow the writer's reused buffer, mixed with small ones, between writes.
      const growing = Array.from({ length: 8 }, (_, i) => ({ i, text: "é".repeat(8_000 << i) }));
      const first = [big, ...Array.from({ length: 1_000 }, (_, i) => ({ i }))];
      const sent = [...first, ...growing];
      const reading = (async () => {
        const out: unknown[] = [];
        for await (const value of readNdjson(server)) out.push(value);
        return out;
      })();
      await Promise.all(first.map((m) => writer.write(m)));
      for (const m of growing) await writer.write(m); // one write each
      await writer.close(); // closes the client's sending side: the server reads to the end
      assert.deepEqual(await reading, sent);
      server.close();
      client.close();
    } finally {
      listener.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("raw JSON texts ride after a line's value, unparsed, and plain lines read as before", async () => {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = new NdjsonWriter(writable);
  const frames = ['{"t":"MESSAGE_CREATE","d":{"content":"a\\tb \\n \\"c\\""}}', "[1,2]"];
  const values = [{ i: 0, text: "tab\there" }, { i: 1 }];
  const reading = (async () => {
    const out = [];
    for await (const lines of readNdjsonWithRaw(readable)) out.push(...lines);
    return out;
  })();
  await writer.write(values[0], frames);
  await writer.write(values[1]);
  await writer.close();
  assert.deepEqual(await reading, [{ value: values[0], raw: frames }, {
    value: values[1],
    raw: [],
  }]);
});

Deno.test("a raw text with a tab or a newline is refused: it would break the line", async () => {
  const writer = new NdjsonWriter(new WritableStream());
  assert.equal(isRawPart('{"a":"\\t"}'), true);
  assert.equal(isRawPart('{"a":\t1}'), false);
  await assert.rejects(writer.write({}, ['{\n"a":1}']), RangeError);
  await assert.rejects(writer.write({}, ['{"a":\t1}']), RangeError);
});

Deno.test("post never rejects, and one flush's messages share its promise", async () => {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = new NdjsonWriter(writable);
  const reading = collect(readable);
  const a = writer.post({ a: 1 });
  const b = writer.post({ b: 2 });
  assert.equal(a, b);
  await Promise.all([a, b]);
  await writer.post({}, ["{\n}"]); // refused, not thrown
  await writer.close();
  await writer.post({ late: true }); // closed: dropped, not thrown
  assert.deepEqual(await reading, [{ a: 1 }, { b: 2 }]);
});

Deno.test("readNdjsonBatches hands over each chunk's values at once, never an empty batch", async () => {
  const batches: unknown[][] = [];
  const text = '{"a":1}\n{"b":2}\n{"c":';
  for await (const batch of readNdjsonBatches(chunked(text + "3}\n", [text.length]))) {
    batches.push(batch);
  }
  assert.deepEqual(batches, [[{ a: 1 }, { b: 2 }], [{ c: 3 }]]);
});

Deno.test("NdjsonWriter writes a burst past its buffer in several writes of whole lines, in order", async () => {
  const writes: Uint8Array[] = [];
  const writer = new NdjsonWriter({
    write: (bytes) => (writes.push(bytes.slice()), Promise.resolve(bytes.length)),
    closeWrite: () => Promise.resolve(),
  });
  const frame = JSON.stringify({ t: "MESSAGE_CREATE", d: { content: "x".repeat(800) } });
  const sent = Array.from({ length: 5_000 }, (_, i) => ({ i }));
  await Promise.all(sent.map((m) => writer.write(m, [frame])));
  await writer.close();
  assert.ok(writes.length > 1, "one write per buffer's worth");
  assert.ok(writes.every((w) => w.length <= 1024 * 1024 && w.at(-1) === 10), "whole lines");
  const lines = [];
  for await (const batch of readNdjsonWithRaw(ReadableStream.from(writes))) lines.push(...batch);
  assert.deepEqual(lines, sent.map((value) => ({ value, raw: [frame] })));
});

Deno.test("kept bytes ride after a line's value like raw texts, among plain lines and texts", async () => {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const store = new RawJsonStore();
  const frames = ['{"op":0,"d":{"content":"🌸"}}', '{"op":0,"d":{"n":2}}'];
  const reading = (async () => {
    const out = [];
    for await (const batch of readNdjsonWithRaw(readable)) out.push(...batch);
    return out;
  })();
  const writer = new NdjsonWriter(writable);
  await Promise.all([
    writer.write({ a: 1 }),
    writer.write({ b: 2 }, frames.map((f) => store.store(f)!)),
    writer.write({ c: 3 }, [frames[0], store.store(frames[1])!]),
    writer.write({ d: 4 }, ["[]"]),
  ]);
  await writer.close();
  assert.deepEqual(await reading, [
    { value: { a: 1 }, raw: [] },
    { value: { b: 2 }, raw: frames },
    { value: { c: 3 }, raw: frames },
    { value: { d: 4 }, raw: ["[]"] },
  ]);
});

Deno.test("kept bytes past the writer's buffer go in several writes of whole lines, in order", async () => {
  const writes: Uint8Array[] = [];
  const writer = new NdjsonWriter({
    write: (bytes) => (writes.push(bytes.slice()), Promise.resolve(bytes.length)),
    closeWrite: () => Promise.resolve(),
  });
  const store = new RawJsonStore();
  const frame = JSON.stringify({ t: "MESSAGE_CREATE", d: { content: "é".repeat(800) } });
  const sent = Array.from({ length: 3_000 }, (_, i) => ({ i }));
  await Promise.all(sent.map((m, i) => writer.write(m, i % 3 === 0 ? [] : [store.store(frame)!])));
  await writer.close();
  assert.ok(writes.length > 1, "one write per buffer's worth");
  assert.ok(writes.every((w) => w.length <= 1024 * 1024 && w.at(-1) === 10), "whole lines");
  const lines = [];
  for await (const batch of readNdjsonWithRaw(ReadableStream.from(writes))) lines.push(...batch);
  assert.deepEqual(lines, sent.map((value, i) => ({ value, raw: i % 3 === 0 ? [] : [frame] })));
});
