/// <reference types="../sdk/globals.d.ts" />
/**
 * Bank: `/daily` pays 100 coins once a day, `/pay user amount` moves coins
 * between members, `/balance` shows yours. Each is one `kv.transact` over
 * the keys it reads and writes, so two payments at once can never spend
 * the same coins twice or lose any.
 */

const DAY = 86_400_000;

const daily = slash({
  name: "daily",
  description: "Collect your 100 daily coins",
  run: async (ctx) => {
    const now = Date.now();
    const result = await kv.transact<number>(
      [["coins", ctx.user.id], ["daily", ctx.user.id]],
      ([balance = 0, last = 0]) => now - last < DAY ? null : [balance + 100, now],
    );
    await ctx.reply(
      result === null
        ? "You already collected today's coins."
        : `+100 coins: you now have ${result[0]}.`,
    );
  },
});

const pay = slash({
  name: "pay",
  description: "Give coins to a member",
  options: [
    { name: "user", description: "Who", type: OptionType.User, required: true },
    {
      name: "amount",
      description: "How many",
      type: OptionType.Integer,
      required: true,
      minValue: 1,
    },
  ],
  run: async (ctx) => {
    const { user, amount } = ctx.options;
    if (user === ctx.user.id) return await ctx.reply("You cannot pay yourself.");
    const result = await kv.transact<number>(
      [["coins", ctx.user.id], ["coins", user]],
      ([mine = 0, theirs = 0]) => mine < amount ? null : [mine - amount, theirs + amount],
    );
    await ctx.reply(
      result === null
        ? `You do not have ${amount} coins.`
        : `Paid ${amount} coins to <@${user}>: you have ${result[0]} left.`,
    );
  },
});

const balance = slash({
  name: "balance",
  description: "Your coins",
  run: async (ctx) => {
    await ctx.reply(`You have ${await kv("coins").get<number>(ctx.user.id) ?? 0} coins.`);
  },
});

createBot({ slashCommands: [daily, pay, balance] });
