/// <reference types="../sdk/globals.d.ts" />
/**
 * Self-assignable roles, two ways: `/roles post` posts a message with one
 * button per role (click to toggle it), and `/roles react` posts one where
 * reacting with an emoji gives the role (removing the reaction takes it).
 * Which emoji means which role is kept in KV per message.
 */

const menus = kv("reaction-roles");
const EMOJI = ["🍎", "🍊", "🍋", "🍇", "🍉"];

async function assignableRoles(): Promise<flora.Role[]> {
  const roles = await discord.getRoles();
  return roles.filter((r) => !r.managed && r.name !== "@everyone" && r.name !== "Admin").slice(
    0,
    5,
  );
}

const post = subcommand({
  name: "post",
  description: "Post role buttons",
  run: async (ctx) => {
    const roles = await assignableRoles();
    if (!roles.length) return await ctx.reply({ content: "No assignable roles.", ephemeral: true });
    await ctx.reply({
      content: "Pick your roles:",
      components: [
        ui.row(
          ...roles.map((r) =>
            ui.button({ customId: `role:${r.id}`, label: r.name, style: "secondary" })
          ),
        ),
      ],
    });
  },
});

const react = subcommand({
  name: "react",
  description: "Post a reaction-role message",
  run: async (ctx) => {
    const roles = await assignableRoles();
    const lines = roles.map((r, i) => `${EMOJI[i]} ${r.name}`);
    const message = await discord.sendMessage(
      ctx.channelId,
      `React for roles:\n${lines.join("\n")}`,
    );
    const mapping: Record<string, string> = {};
    roles.forEach((r, i) => (mapping[EMOJI[i]] = r.id));
    await menus.set(message.id, mapping);
    for (const emoji of Object.keys(mapping)) {
      await discord.addReaction(ctx.channelId, message.id, emoji);
    }
    await ctx.reply({ content: "Posted.", ephemeral: true });
  },
});

// Buttons carry the role id in their custom id: `role:<id>`.
onComponent({ prefix: "role:" }, async (ctx) => {
  const roleId = ctx.data;
  const has = ctx.member?.roles.includes(roleId) ?? false;
  if (has) await discord.removeRole(ctx.user.id, roleId, "role button");
  else await discord.addRole(ctx.user.id, roleId, "role button");
  await ctx.reply({
    content: `${has ? "Removed" : "Added"} <@&${roleId}>.`,
    ephemeral: true,
    allowedMentions: { parse: [] },
  });
});

async function roleFor(messageId: string, emoji: flora.Emoji): Promise<string | undefined> {
  const mapping = await menus.get<Record<string, string>>(messageId);
  return emoji.name ? mapping?.[emoji.name] : undefined;
}

on("reactionAdd", async (event) => {
  if (event.member?.user?.bot) return;
  const roleId = await roleFor(event.message_id, event.emoji);
  if (roleId) await discord.addRole(event.user_id, roleId, "reaction role");
});

on("reactionRemove", async (event) => {
  const roleId = await roleFor(event.message_id, event.emoji);
  if (roleId) await discord.removeRole(event.user_id, roleId, "reaction role");
});

createBot({
  slashCommands: [
    slash({
      name: "roles",
      description: "Self-assignable roles",
      subcommands: [post, react],
      defaultMemberPermissions: String(1 << 28),
    }),
  ],
});
