/**
 * Modal submits: a user fills in the modal the bot answered an interaction
 * with (callback type 9) and presses Submit. Discord then sends a
 * MODAL_SUBMIT interaction carrying the modal's `custom_id` and each text
 * input's value. Mounted at `/_emulator` beside the control API.
 *
 * @module
 */

import { Hono } from "hono";
import { isRecord } from "./body.ts";
import { cloneJson } from "./clone.ts";
import { DiscordError, ErrorCodes, invalidField, notFound } from "./errors.ts";
import { InteractionTypes, invocation, newRecord } from "./interactions.ts";
import type { EmulatorState } from "./state.ts";
import type { InteractionRecord } from "./state_records.ts";
import type { ApiInteraction, ApiInteractionData } from "./types.ts";

/** What a user typed into a modal. */
export interface ModalSubmitInput {
  /** The interaction the bot answered with the modal. */
  interactionId: string;
  /** Text input custom_id → value. */
  values: Record<string, string>;
}

/** A modal as the bot sent it (callback type 9's `data`). */
export interface ModalView {
  custom_id: string;
  title: string;
  components: unknown[];
}

/** The modal the bot opened in answer to an interaction, or null. */
export function modalOf(record: InteractionRecord): ModalView | null {
  if (record.responseType !== 9) return null;
  const callback = record.responses.find((r) => r.kind === "callback" && r.type === 9);
  const body = callback?.body;
  if (!isRecord(body) || !isRecord(body.data)) return null;
  return body.data as unknown as ModalView;
}

/** Text inputs of a modal, found in action rows (v1) and labels (v2). */
export function textInputs(components: unknown): { custom_id: string; required: boolean }[] {
  if (Array.isArray(components)) return components.flatMap(textInputs);
  if (!isRecord(components)) return [];
  if (components.type === 4 && typeof components.custom_id === "string") {
    return [{ custom_id: components.custom_id, required: components.required !== false }];
  }
  return [...textInputs(components.components), ...textInputs(components.component)];
}

/** Submits the modal opened by `interactionId`; dispatches INTERACTION_CREATE (type 5). */
export function invokeModalSubmit(
  state: EmulatorState,
  input: ModalSubmitInput,
): InteractionRecord {
  const opener = state.interactions.get(input.interactionId);
  if (!opener) throw notFound(ErrorCodes.UnknownInteraction);
  const modal = modalOf(opener);
  if (!modal) {
    throw new DiscordError(400, {
      code: 0,
      message: "The bot did not answer this interaction with a modal.",
    });
  }
  const source = opener.interaction;
  const guildId = source.guild_id;
  const channelId = source.channel_id;
  const userId = source.member?.user?.id ?? source.user?.id;
  if (!guildId || !channelId || !userId) {
    throw new DiscordError(400, { code: 0, message: "Guild channels only." });
  }
  const inputs = textInputs(modal.components);
  for (const key of Object.keys(input.values)) {
    if (!inputs.some((i) => i.custom_id === key)) {
      throw invalidField(
        ["values", key],
        "COMPONENT_NOT_FOUND",
        "No text input with this custom_id.",
      );
    }
  }
  for (const field of inputs) {
    if (field.required && !input.values[field.custom_id]) {
      throw invalidField(
        ["values", field.custom_id],
        "BASE_TYPE_REQUIRED",
        "This field is required",
      );
    }
  }
  const data: ApiInteractionData & { components: unknown[] } = {
    custom_id: modal.custom_id,
    components: inputs.map((field) => ({
      type: 1,
      components: [{
        type: 4,
        custom_id: field.custom_id,
        value: input.values[field.custom_id] ?? "",
      }],
    })),
  };
  const interaction: ApiInteraction = {
    id: state.ids.next(),
    application_id: state.application.id,
    type: InteractionTypes.MODAL_SUBMIT,
    data,
    ...(source.message ? { message: cloneJson(source.message) } : {}),
    ...invocation(state, guildId, channelId, userId),
  };
  const record = newRecord(state, interaction);
  state.emit({ t: "INTERACTION_CREATE", d: interaction, guildId });
  return record;
}

/** `POST /interactions/modal` `{ interactionId, values }` → `{ interactionId, token }`. */
export function createModalControlApp(state: EmulatorState): Hono {
  const app = new Hono();
  app.post("/interactions/modal", async (c) => {
    let input: unknown;
    try {
      input = await c.req.json();
    } catch {
      throw new DiscordError(400, {
        code: 50109,
        message: "The request body contains invalid JSON.",
      });
    }
    if (!isRecord(input) || typeof input.interactionId !== "string") {
      throw invalidField(["interactionId"], "BASE_TYPE_REQUIRED", "This field is required");
    }
    const values: Record<string, string> = {};
    if (isRecord(input.values)) {
      for (const [key, value] of Object.entries(input.values)) values[key] = String(value);
    }
    const record = invokeModalSubmit(state, { interactionId: input.interactionId, values });
    return c.json({ interactionId: record.interaction.id, token: record.interaction.token }, 201);
  });
  app.onError((error, c) => {
    if (error instanceof DiscordError) {
      return new Response(JSON.stringify(error.body), {
        status: error.status,
        headers: { "content-type": "application/json" },
      });
    }
    return c.json({ message: String(error), code: 0 }, 500);
  });
  return app;
}
