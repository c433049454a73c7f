/**
 * The `ctx` objects interaction handlers receive: each method is one host
 * operation on the interaction the guild received.
 *
 * @module
 */

import { call } from "./bridge.ts";
import { EPHEMERAL, toMessageBody } from "./reply.ts";
import type {
  AutocompleteContext,
  ComponentContext,
  Interaction,
  InteractionOption,
  InteractionReplies,
  Message,
  MessageCommandContext,
  Modal,
  ModalContext,
  OptionValue,
  SlashContext,
  User,
  UserCommandContext,
} from "./types.ts";

/** Discord interaction callback types. */
const Callback = {
  Message: 4,
  DeferredMessage: 5,
  DeferredUpdate: 6,
  Update: 7,
  Autocomplete: 8,
  Modal: 9,
} as const;

function respond(interactionId: string, type: number, data?: Record<string, unknown>) {
  return call("interaction.respond", { interactionId, type, data });
}

/** The reply methods every interaction context has. */
export function replies(interaction: Interaction): InteractionReplies {
  const interactionId = interaction.id;
  return {
    interaction,
    guildId: interaction.guild_id ?? "",
    channelId: interaction.channel_id ?? "",
    user: (interaction.member?.user ?? interaction.user) as User,
    member: interaction.member,
    async reply(input) {
      await respond(interactionId, Callback.Message, toMessageBody(input));
    },
    async defer(options) {
      await respond(
        interactionId,
        Callback.DeferredMessage,
        options?.ephemeral ? { flags: EPHEMERAL } : undefined,
      );
    },
    async editReply(input) {
      await call("interaction.editReply", { interactionId, data: toMessageBody(input) });
    },
    async deleteReply() {
      await call("interaction.deleteReply", { interactionId });
    },
    async followUp(input) {
      return await call("interaction.followUp", { interactionId, data: toMessageBody(input) }) as {
        id?: string;
      };
    },
    async showModal(modal: Modal) {
      if (!modal?.custom_id || !Array.isArray(modal.components)) {
        throw new TypeError("showModal expects a modal built with ui.modal()");
      }
      await respond(interactionId, Callback.Modal, { ...modal });
    },
  };
}

/**
 * Walks down subcommand groups and subcommands: returns the path
 * (`["group", "sub"]`) and the leaf options.
 */
export function commandPath(
  options: InteractionOption[] | undefined,
): { path: string[]; leaf: InteractionOption[] } {
  const path: string[] = [];
  let current = options ?? [];
  while (current.length === 1 && (current[0].type === 1 || current[0].type === 2)) {
    path.push(current[0].name);
    current = current[0].options ?? [];
  }
  return { path, leaf: current };
}

function optionValues(options: InteractionOption[]): Record<string, OptionValue> {
  const out: Record<string, OptionValue> = {};
  for (const option of options) if (option.value !== undefined) out[option.name] = option.value;
  return out;
}

/** Builds the context for a slash command (or subcommand) interaction. */
export function slashContext(interaction: Interaction, leaf: InteractionOption[]): SlashContext {
  return {
    ...replies(interaction),
    options: optionValues(leaf),
    resolved: interaction.data?.resolved ?? {},
  };
}

/** Builds the context for an autocomplete interaction. */
export function autocompleteContext(
  interaction: Interaction,
  leaf: InteractionOption[],
): AutocompleteContext {
  const focused = leaf.find((o) => o.focused);
  return {
    interaction,
    guildId: interaction.guild_id ?? "",
    user: (interaction.member?.user ?? interaction.user) as User,
    focused: { name: focused?.name ?? "", value: String(focused?.value ?? "") },
    options: optionValues(leaf),
  };
}

/** Sends autocomplete choices (at most 25, as Discord allows). */
export async function answerAutocomplete(
  interaction: Interaction,
  choices: readonly { name: string; value: string | number }[],
): Promise<void> {
  if (!Array.isArray(choices)) {
    throw new TypeError("an autocomplete handler must return an array of choices");
  }
  const list = choices.slice(0, 25).map((c) => ({
    name: String(c.name).slice(0, 100),
    value: c.value,
  }));
  await respond(interaction.id, Callback.Autocomplete, { choices: list });
}

/** Builds the context for a user context-menu command. */
export function userCommandContext(interaction: Interaction): UserCommandContext {
  const targetId = interaction.data?.target_id ?? "";
  const resolved = interaction.data?.resolved;
  return {
    ...replies(interaction),
    target: resolved?.users?.[targetId] ?? { id: targetId, username: "" },
    targetMember: resolved?.members?.[targetId],
  };
}

/** Builds the context for a message context-menu command. */
export function messageCommandContext(interaction: Interaction): MessageCommandContext {
  const targetId = interaction.data?.target_id ?? "";
  const target = interaction.data?.resolved?.messages?.[targetId] ??
    ({ id: targetId, channel_id: interaction.channel_id ?? "" } as Message);
  return { ...replies(interaction), target };
}

function updates(interaction: Interaction) {
  return {
    async update(input: Parameters<InteractionReplies["reply"]>[0]) {
      await respond(interaction.id, Callback.Update, toMessageBody(input));
    },
    async deferUpdate() {
      await respond(interaction.id, Callback.DeferredUpdate);
    },
  };
}

/** Builds the context for a button or select menu interaction. */
export function componentContext(interaction: Interaction, data: string): ComponentContext {
  return {
    ...replies(interaction),
    ...updates(interaction),
    customId: interaction.data?.custom_id ?? "",
    data,
    values: interaction.data?.values ?? [],
    message: interaction.message as Message,
  };
}

/** Text input values by custom id, from a modal submit's rows (or V2 labels). */
function modalFields(components: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (typeof node !== "object" || node === null) return;
    const c = node as {
      custom_id?: unknown;
      value?: unknown;
      components?: unknown;
      component?: unknown;
    };
    if (typeof c.custom_id === "string" && typeof c.value === "string") out[c.custom_id] = c.value;
    walk(c.components);
    walk(c.component);
  };
  walk(components);
  return out;
}

/** Builds the context for a modal submit. */
export function modalContext(interaction: Interaction, data: string): ModalContext {
  const { showModal: _showModal, ...base } = replies(interaction);
  return {
    ...base,
    ...updates(interaction),
    customId: interaction.data?.custom_id ?? "",
    data,
    fields: modalFields(interaction.data?.components),
  };
}
