/**
 * A guild member a test acts as: posts messages, runs slash commands and
 * autocomplete, reacts, clicks, picks and fills modals, each through the
 * emulator's public client, then waits for the bot's answer.
 *
 * @module
 */

import type { EmulatorClient } from "../emulator/mod.ts";
import { textInputs } from "../emulator/modals.ts";
import type { ApiMessage } from "../emulator/types.ts";
import { EmulatorClientError } from "../emulator/client.ts";
import { clickables } from "../dev/message_text.ts";
import type { InteractionReply } from "./answers.ts";
import { ExpectationError } from "./expect.ts";

/** Named option values for a slash command: `{ question: "Tulips?", count: 2 }`. */
export type SlashOptions = Record<string, string | number | boolean>;

/** What a member acts through; the test bot provides it. */
export interface MemberContext {
  /** The emulator's control client. */
  readonly emulator: EmulatorClient;
  /** The guild the script runs in. */
  readonly guildId: string;
  /** A channel's id by name (default "general"). */
  channel(name?: string): string;
  /** The test acts now (`expectMessage` looks at bot messages from here). */
  mark(): void;
  /** Waits for the bot's answer to an interaction. */
  answer(interactionId: string): Promise<InteractionReply>;
  /** Whether `userId` has reacted with `emoji` on `message`. */
  hasReacted(message: ApiMessage, userId: string, emoji: string): boolean;
}

/** A guild member the test acts as. */
export class TestMember {
  readonly #context: MemberContext;

  constructor(context: MemberContext, readonly userId: string, readonly username: string) {
    this.#context = context;
  }

  /** Posts a message (default channel: #general); resolves with it. */
  async send(content: string, options: { channel?: string } = {}): Promise<ApiMessage> {
    this.#context.mark();
    return await this.#context.emulator.sendMessage({
      guildId: this.#context.guildId,
      channelId: this.#context.channel(options.channel),
      userId: this.userId,
      content,
    });
  }

  /**
   * Runs a slash command and waits for the bot's answer. Name subcommands
   * with spaces: `slash("config set", { key: "prefix" })`.
   */
  async slash(
    command: string,
    options: SlashOptions = {},
    where: { channel?: string } = {},
  ): Promise<InteractionReply> {
    const { name, options: top } = await this.#options(command, options);
    this.#context.mark();
    const { interactionId } = await this.#context.emulator.invokeSlash({
      guildId: this.#context.guildId,
      channelId: this.#context.channel(where.channel),
      userId: this.userId,
      name,
      options: top as never,
    });
    return await this.#context.answer(interactionId);
  }

  /** Resolves named option values against the registered command (subcommands by path). */
  async #options(
    command: string,
    options: SlashOptions,
    focused?: string,
  ): Promise<{ name: string; options: unknown[] }> {
    const [name, ...path] = command.trim().split(/\s+/);
    const world = await this.#context.emulator.world();
    const guild = world.guilds.find((g) => g.id === this.#context.guildId);
    const registered = guild?.commands.find((c) => c.name === name);
    if (!registered) {
      throw new ExpectationError(
        `/${name} is not registered; the script registered: ${
          guild?.commands.map((c) => "/" + c.name).join(", ") || "nothing"
        }`,
      );
    }
    type Declared = { name: string; type: number; options?: Declared[] };
    let declared = (registered.options ?? []) as Declared[];
    const chain: { name: string; type: number; options: unknown[] }[] = [];
    for (const part of path) {
      const sub = declared.find((o) => o.name === part && (o.type === 1 || o.type === 2));
      if (!sub) throw new ExpectationError(`/${name} has no subcommand "${part}"`);
      chain.push({ name: sub.name, type: sub.type, options: [] });
      declared = sub.options ?? [];
    }
    const given = Object.entries(options).map(([key, value]) => {
      const option = declared.find((o) => o.name === key);
      if (!option) {
        throw new ExpectationError(
          `/${command} has no option "${key}" (options: ${
            declared.map((o) => o.name).join(", ") || "none"
          })`,
        );
      }
      return key === focused
        ? { name: key, type: option.type, value: String(value), focused: true }
        : { name: key, type: option.type, value };
    });
    let top: unknown[] = given;
    for (let i = chain.length - 1; i >= 0; i--) {
      chain[i].options = top;
      top = [chain[i]];
    }
    return { name, options: top };
  }

  /**
   * Types into an option marked `autocomplete` (`focused`, its text in
   * `options`) and resolves with the script's suggestions.
   */
  async autocomplete(
    command: string,
    options: SlashOptions,
    focused: string,
    where: { channel?: string } = {},
  ): Promise<{ name: string; value: string | number }[]> {
    if (!(focused in options)) options = { ...options, [focused]: "" };
    const { name, options: given } = await this.#options(command, options, focused);
    const { interactionId } = await this.#context.emulator.invokeAutocomplete({
      guildId: this.#context.guildId,
      channelId: this.#context.channel(where.channel),
      userId: this.userId,
      name,
      options: given as never,
    });
    const reply = await this.#context.answer(interactionId);
    return reply.choices;
  }

  /**
   * Runs a user context-menu command (Apps → `name` on a member) on `target`
   * and waits for the bot's answer.
   */
  async userCommand(
    name: string,
    target: TestMember,
    where: { channel?: string } = {},
  ): Promise<InteractionReply> {
    return await this.#contextMenu(name, 2, target.userId, this.#context.channel(where.channel));
  }

  /**
   * Runs a message context-menu command (Apps → `name` on a message) on
   * `message` and waits for the bot's answer.
   */
  async messageCommand(name: string, message: ApiMessage): Promise<InteractionReply> {
    return await this.#contextMenu(name, 3, message.id, message.channel_id);
  }

  async #contextMenu(
    name: string,
    type: 2 | 3,
    targetId: string,
    channelId: string,
  ): Promise<InteractionReply> {
    const world = await this.#context.emulator.world();
    const commands = world.guilds.find((g) => g.id === this.#context.guildId)?.commands ?? [];
    const command = commands.find((c) => c.name === name && c.type === type);
    const kind = type === 2 ? "user" : "message";
    if (!command) {
      throw new ExpectationError(
        `no ${kind} command "${name}" is registered; the script registered ${kind} commands: ${
          commands.filter((c) => c.type === type).map((c) => `"${c.name}"`).join(", ") || "none"
        }`,
      );
    }
    this.#context.mark();
    const { interactionId } = await this.#context.emulator.invokeContextMenu({
      guildId: this.#context.guildId,
      channelId,
      userId: this.userId,
      commandId: command.id,
      targetId,
    });
    return await this.#context.answer(interactionId);
  }

  /** Toggles this member's reaction (a Unicode emoji) on a message, as clicking it does. */
  async react(message: ApiMessage, emoji: string): Promise<void> {
    this.#context.mark();
    const reacted = this.#context.hasReacted(message, this.userId, emoji);
    const target = {
      channelId: message.channel_id,
      messageId: message.id,
      userId: this.userId,
      emoji,
    };
    if (reacted) await this.#context.emulator.removeReaction(target);
    else await this.#context.emulator.addReaction(target);
  }

  /** Clicks the button labelled `target` (or with that custom id) on `message`. */
  async click(message: ApiMessage, target: string): Promise<InteractionReply> {
    return await this.#invoke(message, target);
  }

  /** Picks `values` in the select menu `target` (placeholder or custom id) on `message`. */
  async select(message: ApiMessage, target: string, values: string[]): Promise<InteractionReply> {
    return await this.#invoke(message, target, values);
  }

  /** Fills and submits the modal the bot opened in `reply`. */
  async submitModal(
    reply: InteractionReply,
    values: Record<string, string>,
  ): Promise<InteractionReply> {
    if (!reply.modal) {
      throw new ExpectationError(`the bot answered with type ${reply.type}, not a modal`);
    }
    this.#context.mark();
    let submitted: { interactionId: string };
    try {
      submitted = await this.#context.emulator.submitModal({
        interactionId: reply.interactionId,
        values,
      });
    } catch (error) {
      if (!(error instanceof EmulatorClientError)) throw error;
      const fields = textInputs(reply.modal.components).map((f) => f.custom_id).join(", ");
      throw new ExpectationError(
        `the modal refused the values (${JSON.stringify(error.body)}); its fields: ${fields}`,
      );
    }
    return await this.#context.answer(submitted.interactionId);
  }

  async #invoke(message: ApiMessage, target: string, values?: string[]): Promise<InteractionReply> {
    const found = clickables(message).find((c) =>
      c.customId === target || c.label.toLowerCase() === target.toLowerCase()
    );
    if (!found) {
      throw new ExpectationError(
        `the message has no component "${target}"; it has: ${
          clickables(message).map((c) => `${c.label} (${c.customId})`).join(", ") || "none"
        }`,
      );
    }
    this.#context.mark();
    const { interactionId } = await this.#context.emulator.invokeComponent({
      channelId: message.channel_id,
      messageId: message.id,
      userId: this.userId,
      customId: found.customId,
      componentType: found.type,
      values,
    });
    return await this.#context.answer(interactionId);
  }
}
