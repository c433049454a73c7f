/// <reference types="../sdk/globals.d.ts" />
/**
 * Leaderboard: every message earns its author 1 XP (at most once a minute,
 * so spam does not pay); `/rank` shows your place and `/top` the best ten.
 * Admins can `/xp-give` points. Scores live in a sorted set, so each of
 * these is one atomic call, however many members the guild has.
 */

const xp = sorted("xp");
const lastEarned = new Map<string, number>();

on("messageCreate", async (message) => {
  if (message.author.bot) return;
  const now = Date.now();
  if (now - (lastEarned.get(message.author.id) ?? 0) < 60_000) return;
  lastEarned.set(message.author.id, now);
  await xp.incr(message.author.id, 1);
});

const rank = slash({
  name: "rank",
  description: "Your place on the XP leaderboard",
  run: async (ctx) => {
    const [score, place] = await Promise.all([xp.score(ctx.user.id), xp.rank(ctx.user.id)]);
    await ctx.reply(
      place === null ? "You have no XP yet: say something!" : `You are #${place} with ${score} XP.`,
    );
  },
});

const top = slash({
  name: "top",
  description: "The ten members with the most XP",
  run: async (ctx) => {
    const best = await xp.top(10);
    await ctx.reply({
      embeds: [ui.embed({
        title: "🏆 Leaderboard",
        description: best.map((e, i) => `**${i + 1}.** <@${e.key}> — ${e.score} XP`).join("\n") ||
          "Nobody has XP yet.",
      })],
      allowedMentions: { parse: [] },
    });
  },
});

const give = slash({
  name: "xp-give",
  description: "Give a member XP",
  defaultMemberPermissions: "0",
  options: [
    { name: "user", description: "Who", type: OptionType.User, required: true },
    { name: "amount", description: "How much", type: OptionType.Integer, required: true },
  ],
  run: async (ctx) => {
    const total = await xp.incr(ctx.options.user, ctx.options.amount);
    await ctx.reply(`<@${ctx.options.user}> now has ${total} XP.`);
  },
});

createBot({ slashCommands: [rank, top, give] });
