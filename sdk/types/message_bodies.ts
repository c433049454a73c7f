/**
 * Message bodies: embeds, components, replies and modals.
 *
 * Part of the SDK's public types; `../types.ts` re-exports them all.
 *
 * @module
 */

/** An embed (Discord's shape). Limits are checked before sending. */
export interface Embed {
  title?: string;
  description?: string;
  url?: string;
  color?: number;
  timestamp?: string;
  footer?: { text: string; icon_url?: string };
  author?: { name: string; url?: string; icon_url?: string };
  fields?: { name: string; value: string; inline?: boolean }[];
  image?: { url: string };
  thumbnail?: { url: string };
}

/** Which mentions in a message actually ping. */
export interface AllowedMentions {
  parse?: ("roles" | "users" | "everyone")[];
  roles?: string[];
  users?: string[];
  replied_user?: boolean;
}

/** A message component (action rows, buttons, selects, Components V2), Discord's shape. */
export interface Component {
  type: number;
  [field: string]: unknown;
}

/** What a reply may contain: plain text, or a message body. */
export type ReplyInput = string | ReplyOptions;

/** A message body as scripts write it. */
export interface ReplyOptions {
  content?: string;
  embeds?: Embed[];
  /** Action rows or Components V2 (built with `ui`). V2 sets its message flag itself. */
  components?: Component[];
  allowedMentions?: AllowedMentions;
  /** Only the invoking user sees it (interactions only). */
  ephemeral?: boolean;
  /** Raw message flags, OR-ed with the ephemeral and Components V2 flags. */
  flags?: number;
}

/** A modal, as `ui.modal()` builds it. */
export interface Modal {
  custom_id: string;
  title: string;
  components: Component[];
}
