import assert from "node:assert/strict";
import { EmulatorClient, startEmulator, WorldFileError } from "./mod.ts";

const FAST = { heartbeatIntervalMs: 1100 };

async function rest(
  restBase: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  const response = await fetch(`${restBase}/v10${path}`, {
    method,
    headers: { authorization: `Bot ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

Deno.test("startEmulator with a worldFile brings back ids, messages, commands and the token", async () => {
  const dir = await Deno.makeTempDir({ prefix: "emulator-world-" });
  const worldFile = `${dir}/world.json`;
  try {
    const first = await startEmulator({ ...FAST, worldFile });
    const { guilds, users } = first.seeded!;
    const control = new EmulatorClient(first.url);
    const extra = await control.createGuild({ name: "Made later" });
    await control.sendMessage({
      guildId: guilds[0].id,
      channelId: guilds[0].channels.general,
      userId: users.member,
      content: "hello before the restart",
    });
    const sent = await rest(
      first.restBase,
      first.token,
      "POST",
      `/channels/${guilds[0].channels.general}/messages`,
      { content: "the bot's reply" },
    ) as { id: string };
    await rest(
      first.restBase,
      first.token,
      "PUT",
      `/applications/${first.applicationId}/guilds/${guilds[0].id}/commands`,
      [{ name: "ping", description: "Respond with pong" }],
    );
    await first.close();

    const second = await startEmulator({ ...FAST, worldFile });
    try {
      assert.equal(second.token, first.token);
      assert.equal(second.botUserId, first.botUserId);
      assert.deepEqual(second.seeded, first.seeded);
      const world = await new EmulatorClient(second.url).world();
      assert.deepEqual(
        world.guilds.map((g) => g.id).sort(),
        [guilds[0].id, guilds[1].id, extra.id].sort(),
      );
      const messages = await new EmulatorClient(second.url).messages(guilds[0].channels.general);
      assert.deepEqual(messages.map((m) => m.content), [
        "hello before the restart",
        "the bot's reply",
      ]);
      assert.equal(messages[1].id, sent.id);
      const commands = await rest(
        second.restBase,
        second.token,
        "GET",
        `/applications/${second.applicationId}/guilds/${guilds[0].id}/commands`,
      ) as { name: string }[];
      assert.deepEqual(commands.map((c) => c.name), ["ping"]);
      // The restored bot user is the application's: one object, as before.
      assert.equal(second.state.users.get(second.botUserId), second.state.botUser);
      assert.equal(second.state.application.bot, second.state.botUser);
    } finally {
      await second.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("startEmulator refuses a world file it cannot read and leaves it as it was", async () => {
  const dir = await Deno.makeTempDir({ prefix: "emulator-world-" });
  const worldFile = `${dir}/world.json`;
  try {
    await Deno.writeTextFile(worldFile, "{ half a file");
    await assert.rejects(
      () => startEmulator({ ...FAST, worldFile }),
      (error: Error) =>
        error instanceof WorldFileError && error.message.includes(worldFile) &&
        /not valid JSON.*move it away/.test(error.message),
    );
    assert.equal(await Deno.readTextFile(worldFile), "{ half a file");
    await Deno.writeTextFile(worldFile, JSON.stringify({ format: 99 }));
    await assert.rejects(() => startEmulator({ ...FAST, worldFile }), /not a format 1 world file/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("startEmulator writes a fresh world at once, leaving no temp files", async () => {
  const dir = await Deno.makeTempDir({ prefix: "emulator-world-" });
  try {
    const emu = await startEmulator({ ...FAST, worldFile: `${dir}/world.json` });
    const saved = JSON.parse(await Deno.readTextFile(`${dir}/world.json`));
    assert.equal(saved.seeded.guilds[0].id, emu.seeded!.guilds[0].id);
    await emu.close();
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["world.json"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
