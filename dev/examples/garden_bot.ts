/// <reference types="../../sdk/globals.d.ts" />
/**
 * A small bot that exercises what the playground shows: a slash command
 * with options answering with an embed and buttons, a select menu, a modal,
 * a Components V2 card, reactions, KV data and a cron job. `flora dev
 * dev/examples/garden_bot.ts` runs it; the playground's tests drive it.
 */

const votes = kv("votes");

function pollMessage(question: string, yes: number, no: number) {
  return {
    embeds: [{
      title: "🌱 Garden poll",
      description: question,
      color: 0x57f287,
      fields: [
        { name: "Yes", value: String(yes), inline: true },
        { name: "No", value: String(no), inline: true },
      ],
      footer: { text: "flora playground demo" },
    }],
    components: [
      {
        type: 1,
        components: [
          { type: 2, style: 3, custom_id: "poll:yes", label: "Yes" },
          { type: 2, style: 4, custom_id: "poll:no", label: "No" },
          { type: 2, style: 2, custom_id: "feedback", label: "Leave feedback" },
        ],
      },
      {
        type: 1,
        components: [{
          type: 3,
          custom_id: "season",
          placeholder: "Favourite season",
          options: [
            { label: "Spring", value: "spring" },
            { label: "Summer", value: "summer" },
            { label: "Autumn", value: "autumn" },
          ],
        }],
      },
    ],
  };
}

const poll = slash({
  name: "poll",
  description: "Ask the garden a yes/no question",
  options: [
    { name: "question", description: "What to ask", type: OptionType.String, required: true },
  ] as const,
  run: async (ctx) => {
    await votes.set("question", ctx.options.question);
    await ctx.reply(pollMessage(ctx.options.question, 0, 0));
  },
});

onComponent({ prefix: "poll:" }, async (ctx) => {
  const count = await votes.increment(ctx.data);
  console.log(`${ctx.user.username} voted ${ctx.data} (${count})`);
  const question = (await votes.get<string>("question")) ?? "?";
  const yes = (await votes.get<number>("yes")) ?? 0;
  const no = (await votes.get<number>("no")) ?? 0;
  await ctx.update(pollMessage(question, yes, no));
});

onComponent(
  "season",
  (ctx) => ctx.reply({ content: `You picked **${ctx.values[0]}**.`, ephemeral: true }),
);

onComponent("feedback", (ctx) =>
  ctx.showModal({
    custom_id: "feedback-form",
    title: "Garden feedback",
    components: [
      {
        type: 1,
        components: [{ type: 4, custom_id: "plant", label: "Favourite plant", style: 1 }],
      },
      {
        type: 1,
        components: [{
          type: 4,
          custom_id: "note",
          label: "Anything else?",
          style: 2,
          required: false,
        }],
      },
    ],
  }));

onModal("feedback-form", async (ctx) => {
  await kv("feedback").set(ctx.user.id, ctx.fields);
  await ctx.reply({
    flags: 1 << 15,
    components: [{
      type: 17,
      accent_color: 0x5865f2,
      components: [
        { type: 10, content: `## Thanks, ${ctx.user.username}!` },
        { type: 14, divider: true },
        { type: 10, content: `Favourite plant: **${ctx.fields.plant}**` },
      ],
    }],
  });
});

const PLANTS = ["Fern", "Rose", "Tulip", "Sunflower", "Lavender", "Rosemary"];

const plant = slash({
  name: "plant",
  description: "Plant something (suggestions while you type)",
  options: [
    {
      name: "name",
      description: "What to plant",
      type: OptionType.String,
      required: true,
      autocomplete: true,
    },
  ] as const,
  autocomplete: {
    name: (ctx) =>
      PLANTS.filter((p) => p.toLowerCase().startsWith(ctx.focused.value.toLowerCase()))
        .map((p) => ({ name: p, value: p.toLowerCase() })),
  },
  run: (ctx) => ctx.reply(`🌱 Planted ${ctx.options.name}.`),
});

// Apps menus: right-click a member or a message in the playground.
const gardener = userCommand({
  name: "Gardener card",
  run: (ctx) =>
    ctx.reply({ content: `🧑‍🌾 ${ctx.target.username} tends this garden.`, ephemeral: true }),
});

const pressFlower = messageCommand({
  name: "Press flower",
  run: (ctx) => ctx.reply(`🌸 Pressed: "${ctx.target.content}"`),
});

createBot({
  slashCommands: [poll, plant],
  contextMenus: [gardener, pressFlower],
  prefixCommands: [
    prefix({
      name: "water",
      run: async (ctx) => {
        const sent = await ctx.reply("💧 The garden is watered.");
        if (sent.id) await discord.addReaction(ctx.channelId, sent.id, "🌻");
      },
    }),
  ],
});

cron("daily-water", "0 8 * * *", async () => {
  const times = await votes.increment("cron-waterings");
  console.log(`watered by cron (${times})`);
});
