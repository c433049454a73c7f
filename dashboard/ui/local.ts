/**
 * Local mode's "Try it" screen: act as a member of an emulator guild —
 * send a message, run a slash command, click a button of the bot's replies.
 *
 * @module
 */

import { api } from "./api.ts";
import { announce, fill, h } from "./dom.ts";

interface World {
  channels: { id: string; name: string }[];
  members: { id: string; username: string }[];
  commands: { name: string; description: string }[];
}

interface Message {
  id: string;
  content: string;
  author: { id: string; username: string; bot?: boolean };
  components?: { components?: { type: number; custom_id?: string; label?: string }[] }[];
  embeds?: { title?: string; description?: string }[];
}

/** Renders the local-mode screen; returns a function that stops refreshing. */
export async function renderLocal(root: HTMLElement, guildId: string): Promise<() => void> {
  const world = await api<World>("GET", `/local/${guildId}`);
  const channel = h(
    "select",
    { id: "local-channel" },
    world.channels.map((c) => h("option", { value: c.id }, `#${c.name}`)),
  );
  const member = h(
    "select",
    { id: "local-user" },
    world.members.map((m) => h("option", { value: m.id }, m.username)),
  );
  const text = h("input", { id: "local-text", placeholder: "!ping", autocomplete: "off" });
  const command = h(
    "select",
    { id: "local-command" },
    world.commands.map((c) => h("option", { value: c.name }, `/${c.name}`)),
  );
  const messages = h("ol", {
    class: "chat",
    "aria-label": "Channel messages",
    "aria-live": "polite",
    "data-testid": "chat",
  });
  const actor = () => ({ channelId: channel.value, userId: member.value });
  const fail = (e: Error) => announce(e.message, "error");

  const refresh = async () => {
    const r = await api<{ messages: Message[] }>(
      "GET",
      `/local/${guildId}/channels/${channel.value}/messages`,
    );
    fill(
      messages,
      r.messages.map((m) =>
        h(
          "li",
          { class: m.author.bot ? "bot" : "" },
          h("strong", {}, m.author.username),
          " ",
          m.content,
          (m.embeds ?? []).map((e) =>
            h("div", { class: "embed" }, [e.title, e.description].filter(Boolean).join(" — "))
          ),
          (m.components ?? []).flatMap((row) => row.components ?? []).filter((c) =>
            c.type === 2 && c.custom_id
          )
            .map((c) =>
              h("button", {
                type: "button",
                onclick: () =>
                  void api("POST", `/local/${guildId}/components`, {
                    ...actor(),
                    messageId: m.id,
                    customId: c.custom_id!,
                  })
                    .then(() => setTimeout(() => void refresh().catch(fail), 300)).catch(fail),
              }, c.label ?? c.custom_id!)
            ),
        )
      ),
    );
  };
  const send = async (event: Event) => {
    event.preventDefault();
    if (!text.value) return;
    await api("POST", `/local/${guildId}/messages`, { ...actor(), content: text.value });
    text.value = "";
    setTimeout(() => void refresh().catch(fail), 300);
  };
  const run = async () => {
    await api("POST", `/local/${guildId}/slash`, { ...actor(), name: command.value });
    setTimeout(() => void refresh().catch(fail), 300);
  };
  channel.addEventListener("change", () => void refresh().catch(fail));

  fill(
    root,
    h("h2", {}, "Try it (local emulator)"),
    h("p", {}, "Act as a member of this emulated guild: the bot answers as it would on Discord."),
    h(
      "div",
      { class: "row" },
      h("label", { for: "local-channel" }, "Channel"),
      channel,
      h("label", { for: "local-user" }, "Acting as"),
      member,
    ),
    messages,
    h(
      "form",
      { class: "row", onsubmit: (e: Event) => void send(e).catch(fail) },
      h("label", { for: "local-text" }, "Message"),
      text,
      h("button", { type: "submit", class: "primary" }, "Send"),
    ),
    world.commands.length
      ? h(
        "div",
        { class: "row" },
        h("label", { for: "local-command" }, "Slash command"),
        command,
        h("button", { type: "button", onclick: () => void run().catch(fail) }, "Run"),
      )
      : h("p", {}, "The bot registered no slash commands yet."),
  );
  await refresh();
  const timer = setInterval(() => void refresh().catch(() => {}), 2000);
  return () => clearInterval(timer);
}
