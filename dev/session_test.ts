import assert from "node:assert/strict";
import { startDevSession } from "./session.ts";

const COUNTER = `const counter = kv("counter");
createBot({ prefixCommands: [prefix({ name: "hi", run: async (ctx) => {
  await ctx.reply("n=" + await counter.increment("n"));
} })] });
`;

Deno.test("a dev session's KV data survives a restart in the same data dir", async () => {
  const dir = await Deno.makeTempDir({ prefix: "flora-dev-session-" });
  const entry = `${dir}/main.ts`;
  await Deno.writeTextFile(entry, COUNTER);
  try {
    const guildIds: string[] = [];
    for (const n of [1, 2]) {
      const session = await startDevSession({ entry, dataDir: `${dir}/data`, check: false });
      try {
        // The emulator's world is kept in the data dir: same guild, nothing to carry over.
        guildIds.push(session.guild.id);
        assert.equal(session.guild.id, guildIds[0]);
        assert.equal(session.carriedOver, 0);
        const deployed = await session.deploy();
        assert.equal(deployed.ok, true, deployed.error ?? "");
        const channelId = session.guild.channels.find((c) => c.name === "general")!.id;
        const member = session.guild.members.find((m) => !m.bot)!.userId;
        await session.emulator.sendMessage({
          guildId: session.guild.id,
          channelId,
          userId: member,
          content: "!hi",
        });
        const reply = await session.emulator.waitForAction((a) =>
          a.route === "POST /channels/:id/messages" && a.channelId === channelId
        );
        assert.equal((reply.body as { content: string }).content, `n=${n}`);
      } finally {
        await session.close();
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a dev session refuses an entry that is not a file", async () => {
  await assert.rejects(
    startDevSession({ entry: "no/such/script.ts", dataDir: "unused" }),
    /no\/such\/script\.ts is not a file/,
  );
});
