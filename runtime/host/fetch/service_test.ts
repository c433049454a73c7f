import assert from "node:assert/strict";
import type { RevealedSecret } from "../../../storage/types.ts";
import type { FetchArgs } from "../../sandbox/protocol/mod.ts";
import { AddressAllowance } from "../guard/address.ts";
import { FetchFailed, FetchRefused } from "./client.ts";
import { DEFAULT_FETCH_LIMITS, FetchService, type FetchServiceOptions } from "./service.ts";

/** A real local server: echoes what it received, or misbehaves on purpose. */
function startServer(options: { cert?: string; key?: string } = {}) {
  const seen: { url: string; host: string | null; headers: Headers; body: string }[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {}, ...options },
    async (req) => {
      const url = new URL(req.url);
      const body = await req.text();
      seen.push({
        url: url.pathname + url.search,
        host: req.headers.get("host"),
        headers: req.headers,
        body,
      });
      if (url.pathname === "/big") return new Response(new Uint8Array(64 * 1024));
      if (url.pathname === "/slow") {
        await new Promise((r) => setTimeout(r, 2_000));
        return new Response("late");
      }
      if (url.pathname === "/redirect") {
        return new Response(null, {
          status: 302,
          headers: { location: url.searchParams.get("to")! },
        });
      }
      return Response.json({ method: req.method, path: url.pathname + url.search, body });
    },
  );
  return { server, port: server.addr.port, seen };
}

const secrets = (entries: Record<string, { value: string; hosts: string[] }>) => ({
  revealEntry: (_guild: string, name: string): Promise<RevealedSecret | null> => {
    const e = entries[name];
    return Promise.resolve(
      e ? { name, value: e.value, allowedHosts: e.hosts, updatedAt: "2026-01-01T00:00:00Z" } : null,
    );
  },
});

function service(hosts: string[], overrides: Partial<FetchServiceOptions> = {}) {
  return new FetchService({
    limits: { ...DEFAULT_FETCH_LIMITS, timeoutMs: 500, maxResponseBytes: 16 * 1024 },
    allowance: AddressAllowance.parse("127.0.0.1/32"),
    hostsFor: () => hosts,
    secrets: secrets({}),
    ...overrides,
  });
}

const get = (url: string, extra: Partial<FetchArgs> = {}): FetchArgs => ({
  url,
  method: "GET",
  headers: [],
  ...extra,
});
const text = (b64: string) =>
  new TextDecoder().decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));

Deno.test("fetch: off by default, only listed hosts and ports", async () => {
  const { server, port, seen } = startServer();
  try {
    await assert.rejects(service([]).fetch("g", get(`http://127.0.0.1:${port}/`)), /fetch is off/);
    await assert.rejects(
      service([`127.0.0.1:${port + 1}`]).fetch("g", get(`http://127.0.0.1:${port}/`)),
      /not one of this deployment's fetch hosts/,
    );
    // A host without a port means the default port only.
    await assert.rejects(
      service(["127.0.0.1"]).fetch("g", get(`http://127.0.0.1:${port}/`)),
      FetchRefused,
    );
    await assert.rejects(
      service(["127.0.0.1"]).fetch("g", get("ftp://127.0.0.1/")),
      /only http and https/,
    );
    assert.equal(seen.length, 0);
    const ok = await service([`127.0.0.1:${port}`]).fetch(
      "g",
      get(`http://127.0.0.1:${port}/hi?x=1`),
    );
    assert.equal(ok.status, 200);
    assert.deepEqual(JSON.parse(text(ok.body)), { method: "GET", path: "/hi?x=1", body: "" });
  } finally {
    await server.shutdown();
  }
});

Deno.test("fetch: loopback, private, metadata and disguised addresses are refused without the operator's allowance", async () => {
  const { server, port, seen } = startServer();
  try {
    const urls = [
      `http://127.0.0.1:${port}/`,
      `http://localhost:${port}/`,
      "http://169.254.169.254/latest/meta-data/",
      "http://10.0.0.1/",
      "http://[::1]/",
      "http://[::ffff:127.0.0.1]/",
      "http://2130706433/", // decimal 127.0.0.1
      "http://0177.0.0.1/", // octal
      "http://0x7f.1/", // hex, short form
      "http://100.100.100.200/",
    ];
    for (const url of urls) {
      const hostname = new URL(url).host;
      const strict = service([hostname], { allowance: AddressAllowance.none });
      await assert.rejects(strict.fetch("g", get(url)), FetchRefused, url);
    }
    // A name that resolves to loopback is refused after resolution, whatever the name.
    const rebind = service([`evil.test:${port}`], {
      allowance: AddressAllowance.none,
      resolve: () => Promise.resolve(["127.0.0.1"]),
    });
    await assert.rejects(
      rebind.fetch("g", get(`http://evil.test:${port}/`)),
      /resolves to 127\.0\.0\.1/,
    );
    assert.equal(seen.length, 0);
    // The allowance lets it through, and the connection goes to the checked address, with the
    // request's own host name: a second lookup never happens.
    let lookups = 0;
    const allowed = service([`evil.test:${port}`], {
      resolve: () => (lookups++, Promise.resolve(["127.0.0.1"])),
    });
    assert.equal((await allowed.fetch("g", get(`http://evil.test:${port}/`))).status, 200);
    assert.equal(seen[0].host, `evil.test:${port}`);
    assert.equal(lookups, 1);
  } finally {
    await server.shutdown();
  }
});

Deno.test("fetch: size and time limits", async () => {
  const { server, port } = startServer();
  try {
    const s = service([`127.0.0.1:${port}`]);
    await assert.rejects(
      s.fetch("g", get(`http://127.0.0.1:${port}/big`)),
      /larger than 16384 bytes/,
    );
    const started = performance.now();
    await assert.rejects(
      s.fetch("g", get(`http://127.0.0.1:${port}/slow`)),
      /took longer than 500 ms/,
    );
    assert.ok(performance.now() - started < 1_500);
    const body = btoa("x".repeat(DEFAULT_FETCH_LIMITS.maxRequestBytes + 1));
    await assert.rejects(
      s.fetch("g", get(`http://127.0.0.1:${port}/`, { method: "POST", body })),
      /request body is \d+ bytes; the limit/,
    );
  } finally {
    await server.shutdown();
  }
});

Deno.test("fetch: redirects are re-checked at every hop", async () => {
  const { server, port, seen } = startServer();
  try {
    const s = service([`127.0.0.1:${port}`]);
    const base = `http://127.0.0.1:${port}`;
    const followed = await s.fetch("g", get(`${base}/redirect?to=/final`));
    assert.equal(followed.status, 200);
    assert.equal(followed.redirected, true);
    assert.equal(followed.url, `${base}/final`);
    const manual = await s.fetch("g", get(`${base}/redirect?to=/final`, { redirect: "manual" }));
    assert.equal(manual.status, 302);
    await assert.rejects(
      s.fetch("g", get(`${base}/redirect?to=/x`, { redirect: "error" })),
      FetchFailed,
    );
    const before = seen.length;
    await assert.rejects(
      s.fetch("g", get(`${base}/redirect?to=http://169.254.169.254/`)),
      /not one of this deployment's fetch hosts/,
    );
    assert.equal(seen.length, before + 1);
  } finally {
    await server.shutdown();
  }
});

Deno.test("fetch: secrets are substituted only toward the hosts they allow", async () => {
  const { server, port, seen } = startServer();
  try {
    const here = `127.0.0.1:${port}`;
    const s = service([here, `localhost:${port}`], {
      secrets: secrets({
        TOKEN: { value: "s3cr3t&=/ü", hosts: [here] },
        ELSEWHERE: { value: "nope", hosts: ["api.example.com"] },
      }),
    });
    const marker = "{{flora-secret:TOKEN}}";
    const r = await s.fetch("g", {
      url: `http://${here}/q?key=${encodeURIComponent(marker)}`,
      method: "POST",
      headers: [["authorization", `Bearer ${marker}`]],
      body: btoa(JSON.stringify({ token: marker })),
    });
    assert.equal(r.status, 200);
    const got = seen.at(-1)!;
    assert.equal(got.headers.get("authorization"), "Bearer s3cr3t&=/ü");
    assert.equal(new URL(`http://x${got.url}`).searchParams.get("key"), "s3cr3t&=/ü");
    assert.equal(JSON.parse(got.body).token, "s3cr3t&=/ü");
    // Another host, a secret that allows no such host, an unknown secret: refused, nothing sent.
    const count = seen.length;
    await assert.rejects(
      s.fetch("g", {
        url: `http://localhost:${port}/`,
        method: "GET",
        headers: [["x-key", marker]],
      }),
      /secret TOKEN may not be sent to localhost/,
    );
    await assert.rejects(
      s.fetch("g", get(`http://${here}/`, { headers: [["x", "{{flora-secret:ELSEWHERE}}"]] })),
      /may not be sent/,
    );
    await assert.rejects(
      s.fetch("g", get(`http://${here}/`, { headers: [["x", "{{flora-secret:MISSING}}"]] })),
      /secret MISSING is not set/,
    );
    assert.equal(seen.length, count);
  } finally {
    await server.shutdown();
  }
});

const openssl = await new Deno.Command("openssl", {
  args: ["version"],
  stdout: "null",
  stderr: "null",
})
  .output().then((o) => o.success, () => false);

Deno.test({
  name: "fetch: https connects to the checked address and still verifies the certificate's name",
  ignore: !openssl,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      await new Deno.Command("openssl", {
        args: [
          "req",
          "-x509",
          "-newkey",
          "rsa:2048",
          "-nodes",
          "-days",
          "1",
          "-keyout",
          `${dir}/key.pem`,
          "-out",
          `${dir}/cert.pem`,
          "-subj",
          "/CN=api.flora.test",
          "-addext",
          "subjectAltName=DNS:api.flora.test",
        ],
        stdout: "null",
        stderr: "null",
      }).output();
      const cert = await Deno.readTextFile(`${dir}/cert.pem`);
      const key = await Deno.readTextFile(`${dir}/key.pem`);
      const { server, port, seen } = startServer({ cert, key });
      try {
        const s = (name: string) =>
          service([`${name}:${port}`], {
            resolve: () => Promise.resolve(["127.0.0.1"]),
            caCerts: [cert],
          });
        const ok = await s("api.flora.test").fetch("g", get(`https://api.flora.test:${port}/tls`));
        assert.equal(ok.status, 200);
        assert.equal(seen.at(-1)?.host, `api.flora.test:${port}`);
        await assert.rejects(
          s("other.flora.test").fetch("g", get(`https://other.flora.test:${port}/`)),
          /does not match|altnames|certificate/i,
        );
      } finally {
        await server.shutdown();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
