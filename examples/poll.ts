/// <reference types="../sdk/globals.d.ts" />
/**
 * Polls with components: `/poll` posts a question with one button per
 * choice (`poll:<id>:<n>`); each member has one vote (changing it moves
 * it), the message updates with the counts, "Add option" opens a modal, and
 * "Results" answers privately with a Components V2 summary. Votes live in
 * KV and are updated atomically.
 */

const polls = kv("polls");

interface Poll {
  question: string;
  choices: string[];
  /** user id → choice index */
  votes: Record<string, number>;
  author: string;
}

function render(id: string, poll: Poll): flora.ReplyOptions {
  const counts = poll.choices.map((_, i) =>
    Object.values(poll.votes).filter((v) => v === i).length
  );
  const total = counts.reduce((a, b) => a + b, 0);
  return {
    embeds: [ui.embed({
      title: `📊 ${poll.question}`,
      description: poll.choices.map((c, i) => `**${c}** — ${counts[i]} vote(s)`).join("\n"),
      footer: { text: `${total} vote(s)` },
      color: 0x5865f2,
    })],
    components: [
      ui.row(...poll.choices.map((c, i) => ui.button({ customId: `poll:${id}:${i}`, label: c }))),
      ui.row(
        ui.button({
          customId: `poll-add:${id}`,
          label: "Add option",
          style: "secondary",
          disabled: poll.choices.length >= 5,
        }),
        ui.button({ customId: `poll-results:${id}`, label: "Results", style: "secondary" }),
      ),
    ],
  };
}

/** Applies `change` to the stored poll atomically (retries when someone voted meanwhile). */
async function updatePoll(id: string, change: (poll: Poll) => void): Promise<Poll | null> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const entry = await polls.getEntry(id);
    if (!entry) return null;
    const poll = entry.value as unknown as Poll;
    change(poll);
    if (await polls.compareAndSet(id, entry.version, { ...poll })) return poll;
  }
  throw new Error("the poll is too busy; try again");
}

const poll = slash({
  name: "poll",
  description: "Start a poll",
  options: [
    {
      name: "question",
      description: "The question",
      type: OptionType.String,
      required: true,
      maxLength: 200,
    },
    {
      name: "choices",
      description: "Choices, separated by commas (2-5)",
      type: OptionType.String,
      required: true,
    },
  ],
  run: async (ctx) => {
    const choices = ctx.options.choices.split(",").map((c) => c.trim()).filter(Boolean);
    if (choices.length < 2 || choices.length > 5) {
      return await ctx.reply({
        content: "Give 2 to 5 choices, separated by commas.",
        ephemeral: true,
      });
    }
    const id = ctx.interaction.id;
    const created: Poll = {
      question: ctx.options.question,
      choices,
      votes: {},
      author: ctx.user.id,
    };
    await polls.set(id, { ...created }, { ttlMs: 7 * 24 * 3600_000 });
    await ctx.reply(render(id, created));
  },
});

onComponent({ prefix: "poll:" }, async (ctx) => {
  const [id, choice] = ctx.data.split(":");
  const updated = await updatePoll(id, (p) => (p.votes[ctx.user.id] = Number(choice)));
  if (!updated) return await ctx.reply({ content: "This poll has ended.", ephemeral: true });
  await ctx.update(render(id, updated));
});

onComponent({ prefix: "poll-add:" }, async (ctx) => {
  await ctx.showModal(ui.modal({
    customId: `poll-add-modal:${ctx.data}`,
    title: "Add an option",
    inputs: [ui.textInput({ customId: "choice", label: "Option", maxLength: 80 })],
  }));
});

onModal({ prefix: "poll-add-modal:" }, async (ctx) => {
  const id = ctx.data;
  const choice = ctx.fields.choice?.trim();
  if (!choice) return await ctx.reply({ content: "Empty option.", ephemeral: true });
  const updated = await updatePoll(id, (p) => {
    if (p.choices.length < 5 && !p.choices.includes(choice)) p.choices.push(choice);
  });
  if (!updated) return await ctx.reply({ content: "This poll has ended.", ephemeral: true });
  await ctx.update(render(id, updated));
});

onComponent({ prefix: "poll-results:" }, async (ctx) => {
  const stored = await polls.get(ctx.data) as unknown as Poll | undefined;
  if (!stored) return await ctx.reply({ content: "This poll has ended.", ephemeral: true });
  const mine = stored.votes[ctx.user.id];
  await ctx.reply({
    ephemeral: true,
    components: [ui.container({
      accentColor: 0x5865f2,
      components: [
        ui.text(`## ${stored.question}`),
        ui.separator(),
        ...stored.choices.map((c, i) =>
          ui.text(
            `${i === mine ? "✅" : "▫️"} ${c}: ${
              Object.values(stored.votes).filter((v) => v === i).length
            }`,
          )
        ),
      ],
    })],
  });
});

createBot({ slashCommands: [poll] });
