/// <reference types="../sdk/globals.d.ts" />
/**
 * Reminders: `/remind minutes:<n> text:<what>` schedules a durable task that
 * posts the reminder when it is due (it survives restarts and redeploys);
 * `/reminders` lists yours and `/unremind id:<id>` cancels one.
 */

interface Reminder {
  userId: string;
  channelId: string;
  text: string;
}

tasks.on("remind", async (task) => {
  const r = task.payload as unknown as Reminder;
  await discord.sendMessage(r.channelId, {
    content: `⏰ <@${r.userId}>: ${r.text}`,
    allowedMentions: { users: [r.userId] },
  });
});

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
    const reminder: Reminder = {
      userId: ctx.user.id,
      channelId: ctx.channelId,
      text: ctx.options.text,
    };
    const task = await tasks.schedule("remind", { in: ctx.options.minutes * 60_000 }, {
      ...reminder,
    });
    const due = Math.floor(Date.parse(task.scheduledAt) / 1000);
    await ctx.reply({
      content: `⏰ I'll remind you <t:${due}:R> (id ${task.id}).`,
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
      const page = await tasks.list({ name: "remind", cursor });
      for (const task of page.tasks) {
        const r = task.payload as unknown as Reminder;
        const due = Math.floor(Date.parse(task.scheduledAt) / 1000);
        if (r.userId === ctx.user.id) mine.push(`• <t:${due}:R> ${r.text} (id ${task.id})`);
      }
      cursor = page.cursor;
    } while (cursor);
    await ctx.reply({ content: mine.join("\n") || "No pending reminders.", ephemeral: true });
  },
});

const unremind = slash({
  name: "unremind",
  description: "Cancel one of your reminders",
  options: [{ name: "id", description: "Its id", type: OptionType.String, required: true }],
  run: async (ctx) => {
    const task = await tasks.get(ctx.options.id);
    const mine = task !== null && (task.payload as unknown as Reminder).userId === ctx.user.id;
    const cancelled = mine && await tasks.cancel(ctx.options.id);
    await ctx.reply({
      content: cancelled ? "Cancelled." : "You have no such reminder.",
      ephemeral: true,
    });
  },
});

createBot({ slashCommands: [remind, list, unremind] });
