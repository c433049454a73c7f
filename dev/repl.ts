/**
 * `flora dev --repl`: the playground in a terminal. Each line is a message
 * from the chosen member in the chosen channel, a slash command
 * (`/echo text:hi`), or a dot command (`.click Yes`, `.as alice`, `.help`).
 * What the bot sends, edits or opens (modals) is printed as it happens.
 *
 * @example
 * ```ts
 * await runRepl({ session, input: Deno.stdin.readable, write: (t) => console.log(t) });
 * ```
 *
 * @module
 */

import { EmulatorClientError } from "../emulator/client.ts";
import { textInputs } from "../emulator/modals.ts";
import type { ApiMessage } from "../emulator/types.ts";
import { clickables, messageText } from "./message_text.ts";
import { FeedHub } from "./playground/feed.ts";
import type { DevSession } from "./session.ts";
import { parseSlashLine, SlashParseError } from "./slash_args.ts";
import { errorMessage } from "../shared/error_message.ts";

/** Options of {@linkcode runRepl}. */
export interface ReplOptions {
  session: DevSession;
  /** Lines typed by the user (stdin). */
  input: ReadableStream<Uint8Array>;
  /** Prints one block of output. */
  write(text: string): void;
  /** Print a prompt before each line (interactive terminals only). */
  prompt?: boolean;
}

export const REPL_HELP = `Type a message to send it, or:
  /name opt:value …         run a slash command (values may contain spaces)
  .as <member>              act as another member (e.g. .as alice)
  .in <channel>             switch channel (e.g. .in bot-commands)
  .click <label|id>         click a button on the newest bot message that has it
  .select <label|id> <v…>   pick values in a select menu
  .modal k=v k2=v2 …        submit the modal the bot opened (values may contain spaces)
  .react <emoji>            toggle your reaction on the newest message
  .user <member> <command>  run a user context-menu command (Apps) on a member
  .message <command>        run a message context-menu command (Apps) on the newest message
  .members / .channels      list who and where
  .kv                       show the guild's KV data
  .top <set> [n]            show a sorted set's n (default 10) highest scores
  .tasks                    list the pending tasks (tasks.schedule), soonest first
  .reload                   redeploy the script now
  .help                     this help
  .exit                     quit`;

class ReplError extends Error {}

function describe(error: unknown): string {
  if (error instanceof EmulatorClientError) {
    const body = error.body as { message?: string; errors?: unknown } | null;
    return `Discord refused: ${body?.message ?? error.status}${
      body?.errors ? " " + JSON.stringify(body.errors) : ""
    }`;
  }
  return errorMessage(error);
}

/** Splits `a=1 b=two words` into pairs; a value runs until the next ` name=`. */
function assignments(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const part of text.split(/\s+(?=[\w-]+=)/).filter((p) => p.trim())) {
    const at = part.indexOf("=");
    if (at <= 0) throw new ReplError(`expected field=value, got "${part}"`);
    values[part.slice(0, at).trim()] = part.slice(at + 1).trim();
  }
  return values;
}

/** Runs the REPL until `.exit` or the end of input. */
export async function runRepl(options: ReplOptions): Promise<void> {
  const { session, write } = options;
  const emu = session.emulator;
  const guild = session.guild;
  const textChannels = guild.channels.filter((c) => c.type === 0);
  const humans = guild.members.filter((m) => !m.bot);
  let channel = textChannels.find((c) => c.name === "general") ?? textChannels[0];
  let member = humans.find((m) => m.userId !== guild.ownerId) ?? humans[0];
  if (!channel || !member) throw new Error("the dev guild has no text channel or no member");
  let modal: { interactionId: string; title: string; fields: string[] } | null = null;

  // Print what the bot sends or changes in the current channel.
  const seen = new Map<string, string>();
  const fingerprint = (m: ApiMessage) =>
    JSON.stringify([m.content, m.embeds, m.components, m.reactions, m.flags]);
  const refresh = async (announce: boolean) => {
    const list = await emu.messages(channel.id);
    for (const m of list) {
      const print = fingerprint(m);
      if (seen.get(m.id) === print) continue;
      const isNew = !seen.has(m.id);
      seen.set(m.id, print);
      if (announce && m.author.bot) write((isNew ? "" : "(updated) ") + messageText(m));
    }
  };
  await refresh(false);
  let refreshing = Promise.resolve();
  const feed = new FeedHub();
  const emulator = session.flora.emulator!;
  feed.followActions(emulator.actions, emulator.state);
  feed.subscribe((event) => {
    if (event.type === "messages" && (!event.channelId || event.channelId === channel.id)) {
      refreshing = refreshing.then(() => refresh(true)).catch((e) =>
        write(`error: ${describe(e)}`)
      );
    } else if (event.type === "modal" && event.userId === member.userId) {
      const fields = textInputs(event.modal.components).map((f) =>
        f.required ? `${f.custom_id} (required)` : f.custom_id
      );
      modal = { interactionId: event.interactionId, title: event.modal.title, fields };
      write(
        `${emulator.state.botUser.username} opened a modal "${event.modal.title}" — fields: ${
          fields.join(", ")
        }\n  answer with: .modal ${fields.map((f) => `${f.split(" ")[0]}=…`).join(" ")}`,
      );
    }
  });

  const findMember = (name: string) => {
    const wanted = name.replace(/^@/, "").toLowerCase();
    const users = emulator.state.users;
    return humans.find((m) =>
      m.username.toLowerCase() === wanted || m.userId === wanted ||
      String(users.get(m.userId)?.global_name ?? "").toLowerCase() === wanted
    );
  };

  const newestWith = async (target: string) => {
    const list = await emu.messages(channel.id);
    for (const m of list.reverse()) {
      if (!m.author.bot) continue;
      const hit = clickables(m).find((c) =>
        c.customId === target || c.label.toLowerCase() === target.toLowerCase()
      );
      if (hit) return { message: m, component: hit };
    }
    throw new ReplError(`no bot message in #${channel.name} has a component "${target}"`);
  };

  const handle = async (line: string): Promise<boolean> => {
    if (line === "") return true;
    if (!line.startsWith(".")) {
      if (line.startsWith("/")) {
        const world = await emu.world();
        const commands = world.guilds.find((g) => g.id === guild.id)?.commands ?? [];
        const parsed = parseSlashLine(line, commands);
        await emu.invokeSlash({
          guildId: guild.id,
          channelId: channel.id,
          userId: member.userId,
          name: parsed.name,
          options: parsed.options,
        });
        return true;
      }
      const sent = await emu.sendMessage({
        guildId: guild.id,
        channelId: channel.id,
        userId: member.userId,
        content: line,
      });
      seen.set(sent.id, fingerprint(sent));
      return true;
    }
    const [command, ...rest] = line.split(/\s+/);
    const arg = rest.join(" ");
    switch (command) {
      case ".exit":
      case ".quit":
        return false;
      case ".help":
        write(REPL_HELP);
        return true;
      case ".as": {
        const found = findMember(arg);
        if (!found) {
          throw new ReplError(`no member "${arg}" (members: ${humans.map((m) => m.username)})`);
        }
        member = found;
        write(`acting as ${member.username}`);
        return true;
      }
      case ".in": {
        const found = textChannels.find((c) => c.name === arg.replace(/^#/, ""));
        if (!found) {
          throw new ReplError(`no channel "${arg}" (channels: ${textChannels.map((c) => c.name)})`);
        }
        channel = found;
        seen.clear();
        await refresh(false);
        write(`in #${channel.name}`);
        return true;
      }
      case ".members":
        write(humans.map((m) => `${m.username} (${m.userId})`).join("\n"));
        return true;
      case ".channels":
        write(textChannels.map((c) => `#${c.name} (${c.id})`).join("\n"));
        return true;
      case ".click": {
        if (!arg) throw new ReplError("usage: .click <label or custom_id>");
        const { message, component } = await newestWith(arg);
        await emu.invokeComponent({
          channelId: channel.id,
          messageId: message.id,
          userId: member.userId,
          customId: component.customId,
          componentType: component.type,
        });
        return true;
      }
      case ".select": {
        const [target, ...values] = rest;
        if (!target || values.length === 0) {
          throw new ReplError("usage: .select <label or custom_id> <value> [value…]");
        }
        const { message, component } = await newestWith(target);
        await emu.invokeComponent({
          channelId: channel.id,
          messageId: message.id,
          userId: member.userId,
          customId: component.customId,
          componentType: component.type,
          values,
        });
        return true;
      }
      case ".react": {
        if (!arg) throw new ReplError("usage: .react <emoji>");
        const newest = (await emu.messages(channel.id)).at(-1);
        if (!newest) throw new ReplError(`#${channel.name} has no messages yet`);
        const record = emulator.state.channels.get(channel.id)?.messages.get(newest.id);
        const target = { channelId: channel.id, messageId: newest.id, userId: member.userId };
        const author = newest.author.global_name ?? newest.author.username;
        if (record?.reactions.get(arg)?.users.includes(member.userId)) {
          await emu.removeReaction({ ...target, emoji: arg });
          write(`removed ${arg} from ${author}'s message`);
        } else {
          await emu.addReaction({ ...target, emoji: arg });
          write(`reacted ${arg} to ${author}'s message`);
        }
        return true;
      }
      case ".user":
      case ".message": {
        const type = command === ".user" ? 2 : 3;
        const [targetName, ...nameParts] = type === 2 ? rest : ["", ...rest];
        const name = nameParts.join(" ");
        if (!name || (type === 2 && !targetName)) {
          throw new ReplError(
            type === 2 ? "usage: .user <member> <command>" : "usage: .message <command>",
          );
        }
        const world = await emu.world();
        const menus = (world.guilds.find((g) => g.id === guild.id)?.commands ?? [])
          .filter((c) => c.type === type);
        const menu = menus.find((c) => c.name.toLowerCase() === name.toLowerCase());
        if (!menu) {
          throw new ReplError(
            `no ${type === 2 ? "user" : "message"} command "${name}" (registered: ${
              menus.map((c) => c.name).join(", ") || "none"
            })`,
          );
        }
        let targetId: string;
        if (type === 2) {
          const target = findMember(targetName);
          if (!target) throw new ReplError(`no member "${targetName}"`);
          targetId = target.userId;
        } else {
          const newest = (await emu.messages(channel.id)).at(-1);
          if (!newest) throw new ReplError(`#${channel.name} has no messages yet`);
          targetId = newest.id;
        }
        await emu.invokeContextMenu({
          guildId: guild.id,
          channelId: channel.id,
          userId: member.userId,
          commandId: menu.id,
          targetId,
        });
        return true;
      }
      case ".modal": {
        if (!modal) throw new ReplError("no modal is open for this member");
        await emu.submitModal({ interactionId: modal.interactionId, values: assignments(arg) });
        modal = null;
        return true;
      }
      case ".kv": {
        const kv = session.flora.guildKv;
        const stores = (await kv.stores(guild.id)).filter((s) => !s.startsWith("flora."));
        if (stores.length === 0) write("(no KV data)");
        for (const store of stores) {
          const page = await kv.list(guild.id, store, { limit: 100 });
          write(
            [`${store}:`, ...page.entries.map((e) => `  ${e.key} = ${JSON.stringify(e.value)}`)]
              .join("\n"),
          );
        }
        return true;
      }
      case ".tasks": {
        const { tasks } = await session.flora.tasks.list(guild.id, { limit: 100 });
        write(
          tasks.length === 0
            ? "(no pending tasks)"
            : tasks.map((t) =>
              `${t.scheduledAt} ${t.name}${t.key ? ` [${t.key}]` : ""} ${
                JSON.stringify(t.payload)
              } (id ${t.id}${t.attempt > 0 ? `, attempt ${t.attempt}` : ""})`
            ).join("\n"),
        );
        return true;
      }
      case ".top": {
        const [set, count = "10"] = rest;
        const n = Number(count);
        if (!set || !Number.isInteger(n)) throw new ReplError("usage: .top <set> [n]");
        const top = await session.flora.guildSorted.top(guild.id, set, n);
        write(
          top.length === 0
            ? `(sorted set ${set} is empty)`
            : top.map((e, i) => `${i + 1}. ${e.key} ${e.score}`).join("\n"),
        );
        return true;
      }
      case ".reload": {
        const result = await session.deploy();
        write(result.ok ? `deployed r${result.revision}` : `deploy failed: ${result.error}`);
        return true;
      }
      default:
        throw new ReplError(`unknown command ${command} (try .help)`);
    }
  };

  write(
    `acting as ${member.username} in #${channel.name} of ${guild.name} — .help for commands`,
  );
  const lines = options.input.pipeThrough(new TextDecoderStream()).pipeThrough(
    new LineSplitter(),
  );
  if (options.prompt) write("> ");
  try {
    for await (const raw of lines) {
      let keepGoing = true;
      try {
        keepGoing = await handle(raw.trim());
      } catch (error) {
        const known = error instanceof ReplError || error instanceof SlashParseError;
        write(`error: ${known ? error.message : describe(error)}`);
      }
      if (!keepGoing) break;
      if (options.prompt) write("> ");
    }
  } finally {
    await refreshing;
    feed.close();
  }
}

/** Splits a text stream into lines. */
class LineSplitter extends TransformStream<string, string> {
  constructor() {
    let buffer = "";
    super({
      transform(chunk, controller) {
        buffer += chunk;
        const lines = buffer.split(/\r?\n/);
        buffer = lines.pop() ?? "";
        for (const line of lines) controller.enqueue(line);
      },
      flush(controller) {
        if (buffer) controller.enqueue(buffer);
      },
    });
  }
}
