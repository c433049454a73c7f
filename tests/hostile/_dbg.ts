import { openArena, HEALTHY } from "./arena.ts";
const arena = await openArena({ FLORA_EVENT_TIMEOUT_MS: "2000" });
const [h, n, r] = arena.guilds;
await arena.deploy(n, HEALTHY);
const which = Deno.args[0];
const scripts: Record<string, string> = {
  after: `await ctx.reply("done, honest"); setTimeout(() => { while (true) {} }, 0);`,
  timer: `for (let i = 0; i < 100000; i++) setTimeout(() => {}, 0);
              const hog = () => { const end = Date.now() + 5; while (Date.now() < end) {} setTimeout(hog, 0); };
              for (let i = 0; i < 50; i++) setTimeout(hog, 0);
              await ctx.reply("flooding");`,
  promise: `setTimeout(() => { const spin = () => Promise.resolve().then(spin); spin(); }, 0);`,
  ab: `const hoard = [];
              const grab = () => { for (let i = 0; i < 4; i++) hoard.push(new Uint8Array(16 << 20).fill(1)); setTimeout(grab, 0); };
              grab();
              await ctx.reply("grabbing");`,
};
console.log(await arena.deploy(h, `createBot({ prefixCommands: [prefix({ name: "ping", run: (ctx) => ctx.reply("pong") }), prefix({ name: "attack", run: async (ctx) => { ${scripts[which]} } })] });`));
const t0 = Date.now();
await arena.say(h, "!attack");
for (let i = 0; i < 10; i++) {
  await new Promise((r) => setTimeout(r, 1000));
  console.log(Date.now() - t0, (await arena.logs(h)).slice(-3), (await arena.emu.actions({ guildId: h.id })).slice(-2).map((a) => [a.route, JSON.stringify(a.body).slice(0, 60)]));
}
try { console.log(await arena.ask(h, "!ping", 5000)); } catch (e) { console.log("ERR", e.message); }
await arena.close();
