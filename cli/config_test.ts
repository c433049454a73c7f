import assert from "node:assert/strict";
import { writeRuntimeInfo } from "../runtime/runtime_info.ts";
import { readConfig, resolveGuild, resolveTarget, writeConfig } from "./config.ts";

Deno.test("the API and token come from flags, then env, then the config file, then a local flora", async () => {
  const dir = await Deno.makeTempDir({ prefix: "flora-config-" });
  try {
    const local = `${dir}/data`;
    await Deno.mkdir(local);
    await writeRuntimeInfo(local, { apiUrl: "http://local:1", pid: 1 });
    await Deno.writeTextFile(`${local}/operator-token`, "local-operator-token\n");
    const env = { FLORA_CONFIG: `${dir}/config.json` };
    const path = await writeConfig({ apiUrl: "http://file:2", token: "file-token" }, env);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);

    assert.deepEqual(await resolveTarget({}, env), { url: "http://file:2", token: "file-token" });
    assert.deepEqual(
      await resolveTarget({}, { ...env, FLORA_API_URL: "http://env:3/", FLORA_TOKEN: "env-token" }),
      { url: "http://env:3", token: "env-token" },
    );
    assert.deepEqual(
      await resolveTarget({ api: "http://flag:4", token: "flag-token" }, {
        ...env,
        FLORA_API_URL: "http://env:3",
        FLORA_TOKEN: "env-token",
      }),
      { url: "http://flag:4", token: "flag-token" },
    );
    // A data dir named in the environment counts as the environment.
    assert.deepEqual(await resolveTarget({}, { ...env, FLORA_DATA_DIR: local }), {
      url: "http://local:1",
      token: "local-operator-token",
    });
    // Each of URL and token is taken from the first layer that has it.
    assert.deepEqual(await resolveTarget({ token: "flag-token" }, env), {
      url: "http://file:2",
      token: "flag-token",
    });

    await writeConfig({ token: undefined, guild: "100000000000000001" }, env);
    assert.deepEqual(await readConfig(env), {
      apiUrl: "http://file:2",
      guild: "100000000000000001",
    });
    assert.equal(await resolveGuild(undefined, env), "100000000000000001");
    assert.equal(
      await resolveGuild(undefined, { ...env, FLORA_GUILD: "100000000000000002" }),
      "100000000000000002",
    );
    assert.equal(await resolveGuild("100000000000000003", env), "100000000000000003");
    await Deno.writeTextFile(`${dir}/config.json`, "{ broken");
    await assert.rejects(() => readConfig(env), /not valid JSON; fix it or delete it/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("resolveTarget finds the flora of the CLI's own checkout from any folder", async () => {
  const dir = await Deno.makeTempDir({ prefix: "flora-config-" });
  const cwd = Deno.cwd();
  try {
    const data = `${dir}/checkout/.data`;
    await Deno.mkdir(data, { recursive: true });
    await Deno.mkdir(`${dir}/bot`);
    await writeRuntimeInfo(data, { apiUrl: "http://checkout:5", pid: 1 });
    await Deno.writeTextFile(`${data}/operator-token`, "checkout-operator-token\n");
    // A bot project elsewhere: no .data here, no config file.
    Deno.chdir(`${dir}/bot`);
    const env = { FLORA_CONFIG: `${dir}/none.json` };
    assert.deepEqual(await resolveTarget({}, env, { checkoutDataDir: data }), {
      url: "http://checkout:5",
      token: "checkout-operator-token",
    });
    // FLORA_DATA_DIR="" turns local discovery off.
    await assert.rejects(
      () => resolveTarget({}, { ...env, FLORA_DATA_DIR: "" }, { checkoutDataDir: data }),
      /no API to talk to/,
    );
  } finally {
    Deno.chdir(cwd);
    await Deno.remove(dir, { recursive: true });
  }
});
