/// <reference types="../sdk/globals.d.ts" />
/**
 * Reminders: `/remind minutes:<n> text:<what>` stores a reminder in KV; a
 * cron job checks every minute for due ones and posts them (skipping a run
 * while the previous one is still delivering). `/reminders` lists yours.
 */

const reminders = kv("reminders");

interface Reminder {
  userId: string;
  channelId: string;
  text: string;
  due: number;
}

const remind = slash({
  name: "remind",
  description: "Remind me later",
  options: [
    {
      name: "minutes",
      description: "In how many minutes",
      type: OptionType.Integer,
      required: true,
      minValue: 1,
      maxValue: 10080,
    },
    {
      name: "text",
      description: "What to remind you of",
      type: OptionType.String,
      required: true,
      maxLength: 500,
    },
  ],
  run: async (ctx) => {
    const due = Date.now() + ctx.options.minutes * 60_000;
    // Keys sort by due time, so the cron job reads only what is due.
    const key = `${String(due).padStart(15, "0")}:${ctx.interaction.id}`;
    const reminder: Reminder = {
      userId: ctx.user.id,
      channelId: ctx.channelId,
      text: ctx.options.text,
      due,
    };
    await reminders.set(key, { ...reminder });
    await ctx.reply({
      content: `⏰ I'll remind you <t:${Math.floor(due / 1000)}:R>.`,
      ephemeral: true,
    });
  },
});

const list = slash({
  name: "reminders",
  description: "Your pending reminders",
  run: async (ctx) => {
    const mine: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await reminders.list({ cursor, limit: 100 });
      for (const entry of page.entries) {
        const r = entry.value as unknown as Reminder;
        if (r.userId === ctx.user.id) mine.push(`• <t:${Math.floor(r.due / 1000)}:R> ${r.text}`);
      }
      cursor = page.cursor;
    } while (cursor);
    await ctx.reply({ content: mine.join("\n") || "No pending reminders.", ephemeral: true });
  },
});

cron("deliver-reminders", "* * * * *", async (run) => {
  // Everything due by this run's time (a run that fires late still catches up).
  const now = Math.max(Date.now(), Date.parse(run.scheduledAt));
  let cursor: string | undefined;
  do {
    const page = await reminders.list({ cursor, limit: 100 });
    for (const entry of page.entries) {
      const r = entry.value as unknown as Reminder;
      if (r.due > now) return; // sorted by due time: the rest are later
      await discord.sendMessage(r.channelId, {
        content: `⏰ <@${r.userId}>: ${r.text}`,
        allowedMentions: { users: [r.userId] },
      });
      await reminders.delete(entry.key);
    }
    cursor = page.cursor;
  } while (cursor);
}, { skipIfRunning: true });

createBot({ slashCommands: [remind, list] });
