import { openArena } from "./arena.ts";
const NEIGHBOUR = `
createBot({ prefixCommands: [
  prefix({ name: "ping", run: (ctx) => ctx.reply("pong") }),
  prefix({ name: "slow", run: async (ctx) => {
    await ctx.reply("slow started");
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await ctx.reply("slow finished");
  } }),
  prefix({ name: "count", run: (ctx) => ctx.reply("counted " + ctx.args[0]) }),
] });
`;
const arena = await openArena({ FLORA_EVENT_TIMEOUT_MS: "2000" });
const [h, n, r] = arena.guilds;
console.log(await arena.deploy(n, NEIGHBOUR));
console.log(await arena.ask(n, "!ping"));
const pid = arena.flora.pool.pids()[n.process]!;
console.log(await arena.ask(n, "!slow"));
for (let i = 1; i <= 3; i++) await arena.say(n, `!count ${i}`);
Deno.kill(pid, "SIGKILL");
for (let i = 0; i < 8; i++) {
  await new Promise((r) => setTimeout(r, 500));
  console.log((await arena.emu.messages(n.channelId)).map((m) => m.content).join(" | "));
  console.log((await arena.logs(n)).slice(-3));
}
try { console.log(await arena.ask(n, "!ping", 3000)); } catch (e) { console.log("ERR", e.message); }
console.log(arena.flora.pool.pids(), pid);
await arena.close();
