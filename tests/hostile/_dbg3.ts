import { openArena, HEALTHY } from "./arena.ts";
const arena = await openArena({ FLORA_EVENT_TIMEOUT_MS: "2000" });
const [h, n, r] = arena.guilds;
await arena.deploy(n, HEALTHY);
const atk = (run: string) => `createBot({ prefixCommands: [prefix({ name: "ping", run: (ctx) => ctx.reply("pong") }), prefix({ name: "attack", run: async (ctx) => { ${run} } })] });`;
for (const run of ["while (true) {}", `await ctx.reply("done, honest"); setTimeout(() => { while (true) {} }, 200);`, `setTimeout(() => { const spin = () => Promise.resolve().then(spin); spin(); }, 0);`]) {
  console.log((await arena.deploy(h, atk(run))).status);
  await arena.say(h, "!attack");
  console.log(await arena.ask(n, "!ping"), await arena.ask(r, "!ping").catch(() => "r-none"));
  await arena.waitForLog(h, /stopped/, 15000);
  await new Promise((res) => setTimeout(res, 3000));
  console.log((await arena.logs(h)).slice(-2));
  console.log(await arena.ask(n, "!ping"));
  console.log("stopped", Date.now());
  for (let i = 0; i < 3; i++) {
    const t0 = Date.now();
    try { console.log(await arena.ask(h, "!ping", 4000), Date.now() - t0); } catch (e) { console.log("ERR", (e as Error).message.slice(0, 500)); }
  }
}
await arena.close();
