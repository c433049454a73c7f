import assert from "node:assert/strict";
import { loadConfig } from "./config.ts";
import { configWarnings } from "./config_warnings.ts";
import { allowedCpus, cpuListText } from "./sandbox/cpu_affinity.ts";

Deno.test("configWarnings() has nothing to say of the defaults", () => {
  assert.deepEqual(configWarnings(loadConfig({})), []);
});

Deno.test("configWarnings() names a recycling ceiling at or past the memory guard", () => {
  const [said, ...more] = configWarnings(loadConfig({ FLORA_SANDBOX_MEMORY_MB: "1024" }));
  assert.deepEqual(more, []);
  assert.match(said, /^FLORA_SANDBOX_RSS_CEILING_MB \(1536 MiB\) is not below/);
  assert.match(said, /FLORA_SANDBOX_MEMORY_MB \(1024 MiB\)/);
  assert.match(said, /set the ceiling below the guard, or to 0/);

  const equal = loadConfig({
    FLORA_SANDBOX_MEMORY_MB: "4096",
    FLORA_SANDBOX_RSS_CEILING_MB: "4096",
  });
  assert.match(configWarnings(equal)[0], /\(4096 MiB\) is not below FLORA_SANDBOX_MEMORY_MB/);
});

Deno.test("configWarnings() accepts a ceiling below the guard, or recycling turned off", () => {
  const below = { FLORA_SANDBOX_MEMORY_MB: "4096", FLORA_SANDBOX_RSS_CEILING_MB: "3072" };
  assert.deepEqual(configWarnings(loadConfig(below)), []);
  const off = { FLORA_SANDBOX_MEMORY_MB: "1024", FLORA_SANDBOX_RSS_CEILING_MB: "0" };
  assert.deepEqual(configWarnings(loadConfig(off)), []);
});

Deno.test({
  name: "configWarnings() names FLORA_SANDBOX_CPUS that leaves the host no CPU of its own",
  ignore: Deno.build.os !== "linux",
  fn() {
    const all = cpuListText(allowedCpus()!);
    const [said] = configWarnings(loadConfig({ FLORA_SANDBOX_CPUS: all }));
    assert.match(said, /FLORA_SANDBOX_CPUS names every CPU flora may use .*the host shares them/);
  },
});
