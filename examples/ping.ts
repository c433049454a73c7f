/// <reference types="../sdk/globals.d.ts" />
/**
 * The smallest flora bot: answers `/ping` and `!ping` with "pong!".
 */

const ping = slash({
  name: "ping",
  description: "Respond with pong",
  run: async (ctx) => {
    await ctx.reply("pong!");
  },
});

createBot({
  slashCommands: [ping],
  prefixCommands: [prefix({ name: "ping", run: (ctx) => ctx.reply("pong!") })],
});
