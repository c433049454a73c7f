import assert from "node:assert/strict";
import {
  forbiddenAddress,
  ForbiddenDestination,
  hostAllowed,
  parseIPv6,
  publicAddresses,
} from "./address.ts";

Deno.test("loopback, private, link-local, metadata and reserved addresses are refused", () => {
  const refused = [
    "127.0.0.1",
    "127.255.255.254",
    "10.1.2.3",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "169.254.169.254",
    "100.100.100.200",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "::ffff:127.0.0.1",
    "::ffff:169.254.169.254",
    "64:ff9b::a9fe:a9fe",
    "fd00:ec2::254",
    "fe80::1",
    "fc00::1",
    "ff02::1",
    "2002:7f00:1::",
    "[::1]",
    "fe80::1%eth0",
  ];
  for (const ip of refused) assert.notEqual(forbiddenAddress(ip), null, ip);
});

Deno.test("public addresses are allowed; text that is not an address is refused", () => {
  for (const ip of ["93.184.216.34", "1.1.1.1", "172.32.0.1", "2606:4700:4700::1111"]) {
    assert.equal(forbiddenAddress(ip), null, ip);
  }
  assert.equal(forbiddenAddress("example.com"), "not an IP address");
  assert.equal(forbiddenAddress("1.2.3.256"), "not an IP address");
  assert.equal(parseIPv6("1::2::3"), null);
});

Deno.test("a name that resolves to a forbidden address is refused, even in part", async () => {
  const dns = (answers: Record<string, string[]>) => (name: string) =>
    Promise.resolve(answers[name] ?? []);
  const resolve = dns({
    "public.test": ["93.184.216.34"],
    "rebind.test": ["93.184.216.34", "127.0.0.1"],
    "metadata.test": ["169.254.169.254"],
  });
  assert.deepEqual(await publicAddresses("public.test", resolve), ["93.184.216.34"]);
  await assert.rejects(
    publicAddresses("rebind.test", resolve),
    /resolves to 127\.0\.0\.1, a loopback/,
  );
  await assert.rejects(publicAddresses("metadata.test", resolve), ForbiddenDestination);
  await assert.rejects(publicAddresses("nowhere.test", resolve), /does not resolve/);
  await assert.rejects(publicAddresses("localhost", resolve), /loopback name/);
  await assert.rejects(publicAddresses("[::1]", resolve), /loopback/);
});

Deno.test("allow-lists match exact hosts and subdomain wildcards", () => {
  assert.ok(hostAllowed("api.example.com", ["api.example.com"]));
  assert.ok(hostAllowed("API.Example.com.", ["api.example.com"]));
  assert.ok(hostAllowed("a.b.example.com", ["*.example.com"]));
  assert.ok(!hostAllowed("example.com", ["*.example.com"]));
  assert.ok(!hostAllowed("evilexample.com", ["*.example.com"]));
  assert.ok(!hostAllowed("example.com.evil.net", ["example.com"]));
  assert.ok(!hostAllowed("anything.net", []));
});
