import assert from "node:assert/strict";
import { checkHostPatterns, hostMatches, hostPattern } from "./host_patterns.ts";
import { StorageInputError } from "./types.ts";

Deno.test("host patterns are normalised; URLs, paths and bad ports are refused", () => {
  const ok = (text: string, pattern: string) =>
    assert.deepEqual(hostPattern(text), { ok: true, pattern });
  ok("API.Example.com.", "api.example.com");
  ok("*.example.com", "*.example.com");
  ok("api.example.com:8443", "api.example.com:8443");
  ok("127.0.0.1:8080", "127.0.0.1:8080");
  ok("[::1]", "[::1]");
  ok("[::1]:8080", "[::1]:8080");
  ok("localhost", "localhost");
  for (
    const bad of [
      "",
      "http://x.com",
      "x.com/path",
      "*.com",
      "a:0",
      "a:70000",
      "-a.com",
      "*.1.2.3.4",
      "a b",
      "1.2.3.999",
    ]
  ) {
    assert.equal(hostPattern(bad).ok, false, bad);
  }
  assert.deepEqual(checkHostPatterns(["a.com", "A.com", "b.com"], "f"), ["a.com", "b.com"]);
  assert.throws(() => checkHostPatterns("a.com", "f"), StorageInputError);
});

Deno.test("host patterns match exact hosts, subdomain wildcards, and only the ports they name", () => {
  assert.ok(hostMatches("api.example.com", 443, 443, ["api.example.com"]));
  assert.ok(hostMatches("API.Example.com.", 443, 443, ["api.example.com"]));
  assert.ok(hostMatches("a.b.example.com", 80, 80, ["*.example.com"]));
  assert.ok(!hostMatches("example.com", 443, 443, ["*.example.com"]));
  assert.ok(!hostMatches("evilexample.com", 443, 443, ["*.example.com"]));
  assert.ok(!hostMatches("example.com.evil.net", 443, 443, ["example.com"]));
  assert.ok(!hostMatches("anything.net", 443, 443, []));
  // Without a port, only the scheme's default; a named port, only that one.
  assert.ok(!hostMatches("api.example.com", 8443, 443, ["api.example.com"]));
  assert.ok(hostMatches("api.example.com", 8443, 443, ["api.example.com:8443"]));
  assert.ok(!hostMatches("api.example.com", 443, 443, ["api.example.com:8443"]));
  assert.ok(hostMatches("[::1]", 80, 80, ["[::1]"]));
  assert.ok(hostMatches("[::1]", 8080, 80, ["[::1]:8080"]));
});
