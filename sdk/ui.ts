/**
 * `ui`: builders for embeds, action rows, buttons, select menus, text
 * inputs, modals and Components V2 layouts. Each returns Discord's plain
 * object and checks Discord's limits as it builds, so a mistake fails where
 * it is made with a message saying which limit.
 *
 * @example
 * ```ts
 * await ctx.reply({
 *   content: "Pick one",
 *   components: [ui.row(ui.button({ customId: "yes", label: "Yes", style: "success" }))],
 * });
 * ```
 *
 * @module
 */

import { checkEmbeds } from "./embeds.ts";
import type { Component, Embed, Modal } from "./types.ts";

const BUTTON_STYLES = { primary: 1, secondary: 2, success: 3, danger: 4, link: 5 } as const;
export type ButtonStyleName = Exclude<keyof typeof BUTTON_STYLES, "link">;

function customId(id: unknown, what: string): string {
  if (typeof id !== "string" || id.length < 1 || id.length > 100) {
    throw new RangeError(`${what} customId must be 1-100 characters`);
  }
  return id;
}

function limit(value: string | undefined, max: number, what: string): void {
  if (value !== undefined && (typeof value !== "string" || value.length > max)) {
    throw new RangeError(`${what} must be a string of at most ${max} characters`);
  }
}

/** An emoji on a button or select option: unicode, or a custom emoji's id. */
export type ComponentEmoji = string | { id: string; name?: string; animated?: boolean };

function emoji(e: ComponentEmoji | undefined): Record<string, unknown> | undefined {
  if (e === undefined) return undefined;
  return typeof e === "string" ? { name: e } : { ...e };
}

function strip(o: Record<string, unknown>): Component {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o as Component;
}

/** An option of a string select menu. */
export interface SelectOption {
  label: string;
  value: string;
  description?: string;
  emoji?: ComponentEmoji;
  default?: boolean;
}

interface SelectBase {
  customId: string;
  placeholder?: string;
  minValues?: number;
  maxValues?: number;
  disabled?: boolean;
}

function select(type: number, input: SelectBase, extra: Record<string, unknown> = {}): Component {
  customId(input.customId, "select");
  limit(input.placeholder, 150, "placeholder");
  for (const [k, v] of [["minValues", input.minValues], ["maxValues", input.maxValues]] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > 25)) {
      throw new RangeError(`${k} must be an integer from 0 to 25`);
    }
  }
  return strip({
    type,
    custom_id: input.customId,
    placeholder: input.placeholder,
    min_values: input.minValues,
    max_values: input.maxValues,
    disabled: input.disabled,
    ...extra,
  });
}

function media(url: string): { url: string } {
  if (typeof url !== "string" || url.length === 0) throw new TypeError("a media url is required");
  return { url };
}

export const ui = {
  /** Button styles by name. */
  ButtonStyle: BUTTON_STYLES,

  /** An embed; Discord's limits are checked now. */
  embed(embed: Embed): Embed {
    checkEmbeds([embed]);
    return embed;
  },

  /** An action row of up to 5 buttons, or one select menu / text input. */
  row(...components: Component[]): Component {
    if (components.length < 1 || components.length > 5) {
      throw new RangeError(`an action row holds 1-5 components, not ${components.length}`);
    }
    const wide = components.filter((c) => c.type !== 2);
    if (wide.length > 0 && components.length > 1) {
      throw new RangeError("a select menu or text input must be alone in its action row");
    }
    return { type: 1, components };
  },

  /** A button that sends an interaction with its custom id. */
  button(input: {
    customId: string;
    label?: string;
    style?: ButtonStyleName;
    emoji?: ComponentEmoji;
    disabled?: boolean;
  }): Component {
    customId(input.customId, "button");
    limit(input.label, 80, "button label");
    if (!input.label && !input.emoji) throw new TypeError("a button needs a label or an emoji");
    const style: number | undefined = BUTTON_STYLES[input.style ?? "primary"];
    if (!style || style === 5) throw new TypeError(`unknown button style ${input.style}`);
    return strip({
      type: 2,
      style,
      custom_id: input.customId,
      label: input.label,
      emoji: emoji(input.emoji),
      disabled: input.disabled,
    });
  },

  /** A button that opens a URL. */
  linkButton(input: { url: string; label?: string; emoji?: ComponentEmoji }): Component {
    limit(input.label, 80, "button label");
    if (!/^https?:\/\//.test(input.url ?? "")) {
      throw new TypeError("a link button needs an http(s) url");
    }
    return strip({
      type: 2,
      style: 5,
      url: input.url,
      label: input.label,
      emoji: emoji(input.emoji),
    });
  },

  /** A select menu of your own options (up to 25). */
  stringSelect(input: SelectBase & { options: SelectOption[] }): Component {
    if (!Array.isArray(input.options) || input.options.length < 1 || input.options.length > 25) {
      throw new RangeError("a string select needs 1-25 options");
    }
    const options = input.options.map((o, i) => {
      limit(o.label, 100, `options[${i}].label`);
      limit(o.value, 100, `options[${i}].value`);
      limit(o.description, 100, `options[${i}].description`);
      return strip({ ...o, emoji: emoji(o.emoji) });
    });
    return select(3, input, { options });
  },
  /** A select menu of the guild's users. */
  userSelect: (input: SelectBase): Component => select(5, input),
  /** A select menu of the guild's roles. */
  roleSelect: (input: SelectBase): Component => select(6, input),
  /** A select menu of users and roles. */
  mentionableSelect: (input: SelectBase): Component => select(7, input),
  /** A select menu of the guild's channels, optionally of some types. */
  channelSelect: (input: SelectBase & { channelTypes?: number[] }): Component =>
    select(8, input, input.channelTypes ? { channel_types: input.channelTypes } : {}),

  /** A text input, for modals. */
  textInput(input: {
    customId: string;
    label: string;
    style?: "short" | "paragraph";
    placeholder?: string;
    value?: string;
    required?: boolean;
    minLength?: number;
    maxLength?: number;
  }): Component {
    customId(input.customId, "text input");
    limit(input.label, 45, "text input label");
    limit(input.placeholder, 100, "placeholder");
    limit(input.value, 4000, "value");
    return strip({
      type: 4,
      custom_id: input.customId,
      label: input.label,
      style: input.style === "paragraph" ? 2 : 1,
      placeholder: input.placeholder,
      value: input.value,
      required: input.required,
      min_length: input.minLength,
      max_length: input.maxLength,
    });
  },

  /** A modal of up to 5 text inputs (each is put in its own row). */
  modal(input: { customId: string; title: string; inputs: Component[] }): Modal {
    customId(input.customId, "modal");
    limit(input.title, 45, "modal title");
    if (!input.inputs?.length || input.inputs.length > 5) {
      throw new RangeError("a modal holds 1-5 text inputs");
    }
    return {
      custom_id: input.customId,
      title: input.title,
      components: input.inputs.map((c) => (c.type === 1 ? c : { type: 1, components: [c] })),
    };
  },

  // Components V2 -------------------------------------------------------------

  /** Markdown text (Components V2). */
  text(content: string): Component {
    limit(content, 4000, "text");
    return { type: 10, content };
  },
  /** Up to 3 texts with a thumbnail or button beside them (Components V2). */
  section(input: { texts: (string | Component)[]; accessory: Component }): Component {
    if (!input.texts?.length || input.texts.length > 3) {
      throw new RangeError("a section holds 1-3 texts");
    }
    return {
      type: 9,
      components: input.texts.map((t) => (typeof t === "string" ? ui.text(t) : t)),
      accessory: input.accessory,
    };
  },
  /** A small image, as a section's accessory (Components V2). */
  thumbnail(url: string, description?: string): Component {
    return strip({ type: 11, media: media(url), description });
  },
  /** A gallery of 1-10 images (Components V2). */
  mediaGallery(...items: { url: string; description?: string; spoiler?: boolean }[]): Component {
    if (items.length < 1 || items.length > 10) {
      throw new RangeError("a media gallery holds 1-10 items");
    }
    return {
      type: 12,
      items: items.map((i) =>
        strip({ media: media(i.url), description: i.description, spoiler: i.spoiler })
      ),
    };
  },
  /** An attached file shown in the layout, by `attachment://name` (Components V2). */
  file(url: string, spoiler?: boolean): Component {
    return strip({ type: 13, file: media(url), spoiler });
  },
  /** Vertical space, with or without a line (Components V2). */
  separator(input: { divider?: boolean; spacing?: "small" | "large" } = {}): Component {
    return { type: 14, divider: input.divider ?? true, spacing: input.spacing === "large" ? 2 : 1 };
  },
  /** A box around components, with an optional accent color (Components V2). */
  container(
    input: { components: Component[]; accentColor?: number; spoiler?: boolean },
  ): Component {
    if (!input.components?.length) throw new RangeError("a container needs components");
    return strip({
      type: 17,
      components: input.components,
      accent_color: input.accentColor,
      spoiler: input.spoiler,
    });
  },
} as const;
