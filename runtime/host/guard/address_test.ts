import assert from "node:assert/strict";
import {
  AddressAllowance,
  forbiddenAddress,
  ForbiddenDestination,
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

Deno.test("the operator's allowance opens exactly its ranges", async () => {
  const allowance = AddressAllowance.parse(" 127.0.0.2/32, 10.1.0.0/16 ,fd00::/8");
  assert.ok(allowance.allows("127.0.0.2"));
  assert.ok(allowance.allows("::ffff:127.0.0.2"));
  assert.ok(allowance.allows("10.1.200.3"));
  assert.ok(allowance.allows("fd00::1"));
  assert.ok(!allowance.allows("127.0.0.1"));
  assert.ok(!allowance.allows("10.2.0.1"));
  assert.ok(!allowance.allows("not an ip"));
  assert.ok(!AddressAllowance.none.allows("127.0.0.1"));
  assert.ok(AddressAllowance.parse("::1").allows("::1"));
  assert.throws(() => AddressAllowance.parse("127.0.0.1/33"), /not an IP address or CIDR/);
  assert.throws(() => AddressAllowance.parse("localhost"), /not an IP address or CIDR/);

  const resolve = () => Promise.resolve(["127.0.0.2"]);
  assert.deepEqual(await publicAddresses("dev.test", resolve, allowance), ["127.0.0.2"]);
  assert.deepEqual(await publicAddresses("127.0.0.2", resolve, allowance), ["127.0.0.2"]);
  await assert.rejects(publicAddresses("127.0.0.1", resolve, allowance), /loopback/);
  await assert.rejects(publicAddresses("localhost", resolve, allowance), /loopback name/);
  // localhost is both 127.0.0.1 and ::1: with one of them allowed, only that one is used.
  const loop = AddressAllowance.parse("127.0.0.1/32");
  assert.deepEqual(await publicAddresses("localhost", resolve, loop), ["127.0.0.1"]);
});
