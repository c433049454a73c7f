import assert from "node:assert/strict";
import { browserGate } from "./browser.ts";

Deno.test("browserGate runs the browser tests when Chromium is there", async () => {
  const dir = await Deno.makeTempDir({ prefix: "flora-browser-" });
  try {
    await Deno.writeTextFile(`${dir}/chromium`, "");
    assert.deepEqual(browserGate({ CI: "true" }, `${dir}/chromium`), { ignore: false, note: "" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("browserGate without Chromium: ignored locally, saying how to install it", () => {
  const gate = browserGate({}, "/nonexistent/chromium");
  assert.equal(gate.ignore, true);
  assert.match(gate.note, /no Chromium at \/nonexistent\/chromium/);
  assert.match(gate.note, /apt-get install -y chromium/);
  assert.match(gate.note, /FLORA_CHROMIUM/);
});

Deno.test("browserGate without Chromium in CI fails rather than ignoring the tests", () => {
  assert.throws(
    () => browserGate({ CI: "true" }, "/nonexistent/chromium"),
    /no Chromium at \/nonexistent\/chromium: the playground's browser tests must run in CI; install it/,
  );
});
