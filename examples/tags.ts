/// <reference types="../sdk/globals.d.ts" />
/**
 * A tags bot: saved snippets in KV. `/tag show` (with autocomplete),
 * `/tag create` (refuses to overwrite, atomically), `/tag delete`,
 * `/tag list` (paged by cursor), and `!tag <name>` / `!t <name>`.
 */

const tags = kv("tags");
const uses = kv("tag-uses");

interface Tag {
  content: string;
  author: string;
}

async function showTag(name: string): Promise<string> {
  const tag = await tags.get<Tag & { [key: string]: string }>(name.toLowerCase());
  if (!tag) return `No tag named "${name}".`;
  const count = await uses.increment(name.toLowerCase());
  return `${tag.content}\n-# used ${count} time(s)`;
}

const nameOption = {
  name: "name",
  description: "Tag name",
  type: OptionType.String,
  required: true,
  maxLength: 32,
} as const;

const show = subcommand({
  name: "show",
  description: "Show a tag",
  options: [{ ...nameOption, autocomplete: true }],
  autocomplete: {
    name: async (ctx) => {
      const page = await tags.list({ prefix: ctx.focused.value.toLowerCase(), limit: 25 });
      return page.entries.map((e) => ({ name: e.key, value: e.key }));
    },
  },
  run: async (ctx) => {
    await ctx.reply({ content: await showTag(ctx.options.name), allowedMentions: { parse: [] } });
  },
});

const create = subcommand({
  name: "create",
  description: "Create a tag",
  options: [nameOption, {
    name: "content",
    description: "What it says",
    type: OptionType.String,
    required: true,
  }],
  run: async (ctx) => {
    const name = ctx.options.name.toLowerCase();
    const tag: Tag = { content: ctx.options.content, author: ctx.user.id };
    // null: only if no tag has this name yet (atomic, even with two creators at once).
    const created = await tags.compareAndSet(name, null, { ...tag });
    await ctx.reply({
      content: created ? `Tag "${name}" created.` : `Tag "${name}" already exists.`,
      ephemeral: !created,
    });
  },
});

const remove = subcommand({
  name: "delete",
  description: "Delete a tag you made",
  options: [nameOption],
  run: async (ctx) => {
    const name = ctx.options.name.toLowerCase();
    const tag = await tags.get<Tag & { [key: string]: string }>(name);
    if (!tag) return await ctx.reply({ content: `No tag named "${name}".`, ephemeral: true });
    if (tag.author !== ctx.user.id) {
      return await ctx.reply({ content: "Only its author can delete a tag.", ephemeral: true });
    }
    await tags.delete(name);
    await uses.delete(name);
    await ctx.reply(`Tag "${name}" deleted.`);
  },
});

const list = subcommand({
  name: "list",
  description: "List tags",
  options: [{ name: "page", description: "Page cursor", type: OptionType.String }],
  run: async (ctx) => {
    const page = await tags.list({ limit: 10, cursor: ctx.options.page });
    const names = page.entries.map((e) => `\`${e.key}\``).join(", ") || "No tags yet.";
    await ctx.reply(page.cursor ? `${names}\nMore: \`/tag list page:${page.cursor}\`` : names);
  },
});

const tag = slash({
  name: "tag",
  description: "Saved snippets",
  subcommands: [show, create, remove, list],
});

const tagPrefix = prefix({
  name: "tag",
  aliases: ["t"],
  args: [{ name: "name", type: "string" }],
  run: async (ctx) => {
    await ctx.reply({ content: await showTag(ctx.args.name), allowedMentions: { parse: [] } });
  },
});

createBot({ slashCommands: [tag], prefixCommands: [tagPrefix] });
