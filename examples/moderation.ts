/// <reference types="../sdk/globals.d.ts" />
/**
 * A moderation bot: warnings kept in KV, timeouts, kicks and bans (for
 * moderators only by default), a word filter, `!purge`, and a "Warnings"
 * entry in the member context menu. Every action is written to #mod-log
 * when the guild has one.
 */

const warnings = kv("warnings");
const BANNED_WORDS = ["badword", "spamlink.example"];
/** Permission bits: MODERATE_MEMBERS (timeouts), KICK_MEMBERS, BAN_MEMBERS, MANAGE_MESSAGES. */
const MODERATE = String(1n << 40n);
const KICK = String(1n << 1n);
const BAN = String(1n << 2n);

async function modLog(text: string): Promise<void> {
  const channels = await discord.getChannels();
  const log = channels.find((c) => c.name === "mod-log");
  if (log) await discord.sendMessage(log.id, { content: text, allowedMentions: { parse: [] } });
}

async function warn(userId: string, reason: string): Promise<number> {
  const count = await warnings.increment(`count:${userId}`);
  await warnings.set(`last:${userId}`, { reason, at: new Date().toISOString() });
  await modLog(`⚠️ <@${userId}> warned (${count}): ${reason}`);
  return count;
}

const warnCommand = slash({
  name: "warn",
  description: "Warn a member",
  defaultMemberPermissions: MODERATE,
  options: [
    { name: "user", description: "Who", type: OptionType.User, required: true },
    { name: "reason", description: "Why", type: OptionType.String, required: true, maxLength: 200 },
  ],
  run: async (ctx) => {
    const count = await warn(ctx.options.user, ctx.options.reason);
    await ctx.reply({
      content: `<@${ctx.options.user}> now has ${count} warning(s).`,
      allowedMentions: { parse: [] },
    });
  },
});

const timeoutCommand = slash({
  name: "timeout",
  description: "Time a member out",
  defaultMemberPermissions: MODERATE,
  options: [
    { name: "user", description: "Who", type: OptionType.User, required: true },
    {
      name: "minutes",
      description: "How long",
      type: OptionType.Integer,
      required: true,
      minValue: 1,
      maxValue: 40320,
    },
    { name: "reason", description: "Why", type: OptionType.String },
  ],
  run: async (ctx) => {
    const { user, minutes, reason } = ctx.options;
    await discord.timeout(user, minutes * 60_000, reason);
    await modLog(`⏳ <@${user}> timed out for ${minutes} min${reason ? `: ${reason}` : ""}`);
    await ctx.reply({ content: `Timed out <@${user}> for ${minutes} minutes.`, ephemeral: true });
  },
});

const kickCommand = slash({
  name: "kick",
  description: "Kick a member",
  defaultMemberPermissions: KICK,
  options: [
    { name: "user", description: "Who", type: OptionType.User, required: true },
    { name: "reason", description: "Why", type: OptionType.String },
  ],
  run: async (ctx) => {
    await discord.kick(ctx.options.user, ctx.options.reason);
    await modLog(`👢 <@${ctx.options.user}> kicked`);
    await ctx.reply({ content: "Kicked.", ephemeral: true });
  },
});

const banCommand = slash({
  name: "ban",
  description: "Ban a user",
  defaultMemberPermissions: BAN,
  options: [
    { name: "user", description: "Who", type: OptionType.User, required: true },
    { name: "reason", description: "Why", type: OptionType.String },
    {
      name: "delete",
      description: "Delete their recent messages",
      type: OptionType.Integer,
      choices: [{ name: "None", value: 0 }, { name: "Last hour", value: 3600 }, {
        name: "Last day",
        value: 86400,
      }],
    },
  ],
  run: async (ctx) => {
    await discord.ban(ctx.options.user, {
      reason: ctx.options.reason,
      deleteMessageSeconds: ctx.options.delete,
    });
    await modLog(`🔨 <@${ctx.options.user}> banned`);
    await ctx.reply({ content: "Banned.", ephemeral: true });
  },
});

const warningsMenu = userCommand({
  name: "Warnings",
  defaultMemberPermissions: MODERATE,
  run: async (ctx) => {
    const count = (await warnings.get<number>(`count:${ctx.target.id}`)) ?? 0;
    const last = await warnings.get<{ reason: string }>(`last:${ctx.target.id}`);
    await ctx.reply({
      embeds: [ui.embed({
        title: `Warnings of ${ctx.target.username}`,
        description: `${count} warning(s)`,
        fields: last ? [{ name: "Last", value: last.reason }] : [],
        color: 0xe67e22,
      })],
      ephemeral: true,
    });
  },
});

const purge = prefix({
  name: "purge",
  aliases: ["clear"],
  args: [{ name: "count", type: "integer" }],
  run: async (ctx) => {
    const count = Math.min(Math.max(ctx.args.count, 1), 50);
    const messages = await discord.getMessages(ctx.channelId, {
      limit: count,
      before: ctx.message.id,
    });
    for (const m of messages) {
      await discord.deleteMessage(ctx.channelId, m.id, `purge by ${ctx.author.username}`);
    }
    await discord.deleteMessage(ctx.channelId, ctx.message.id);
    await discord.sendMessage(ctx.channelId, `🧹 Deleted ${messages.length} message(s).`);
  },
});

// The word filter: delete the message and warn its author.
on("messageCreate", async (message) => {
  if (message.author.bot) return;
  const text = message.content.toLowerCase();
  const hit = BANNED_WORDS.find((w) => text.includes(w));
  if (!hit) return;
  await discord.deleteMessage(message.channel_id, message.id, "word filter");
  const count = await warn(message.author.id, `used a filtered word (${hit})`);
  await discord.sendMessage(message.channel_id, {
    content: `<@${message.author.id}>, that word is not allowed here (warning ${count}).`,
    allowedMentions: { users: [message.author.id] },
  });
});

on("memberAdd", async (member) => {
  await modLog(`📥 ${member.user.username} joined`);
});

createBot({
  slashCommands: [warnCommand, timeoutCommand, kickCommand, banCommand],
  contextMenus: [warningsMenu],
  prefixCommands: [purge],
});
