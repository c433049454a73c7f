/** @jsxImportSource hono/jsx/dom */
/**
 * One Discord message as a client shows it: author, markdown content,
 * embeds, components (v1 action rows and the Components V2 layout), and
 * reactions. Buttons and selects call back to the page, which invokes them
 * in the emulator as the chosen member.
 *
 * @module
 */

import { valueOf } from "./dom.ts";
import type { Child } from "hono/jsx";
import { Markdown, type Names } from "./markdown.tsx";

/** The parts of Discord's message object the playground draws. */
export interface ApiMessage {
  id: string;
  channel_id: string;
  author: { id: string; username: string; global_name?: string | null; bot?: boolean };
  content: string;
  timestamp: string;
  edited_timestamp?: string | null;
  flags?: number;
  embeds?: Embed[];
  components?: Component[];
  reactions?: { count: number; me?: boolean; emoji: { id: string | null; name: string | null } }[];
  referenced_message?: ApiMessage | null;
  interaction_metadata?: { user?: { id: string; username: string }; name?: string } | null;
}

/** An embed (every field optional, as Discord sends them). */
export interface Embed {
  title?: string;
  description?: string;
  url?: string;
  color?: number;
  author?: { name?: string; icon_url?: string };
  footer?: { text?: string };
  timestamp?: string;
  image?: { url?: string };
  thumbnail?: { url?: string };
  fields?: { name: string; value: string; inline?: boolean }[];
}

/** Any component, v1 or v2 (loosely typed: the page draws what Discord would). */
export interface Component {
  type: number;
  id?: number;
  custom_id?: string;
  style?: number;
  label?: string;
  url?: string;
  disabled?: boolean;
  emoji?: { name?: string | null };
  placeholder?: string;
  options?: { label: string; value: string; description?: string; default?: boolean }[];
  min_values?: number;
  max_values?: number;
  components?: Component[];
  accessory?: Component;
  content?: string;
  media?: { url?: string };
  items?: { media?: { url?: string }; description?: string }[];
  file?: { url?: string };
  divider?: boolean;
  spacing?: number;
  accent_color?: number | null;
  spoiler?: boolean;
}

/** What a click or pick on a component does. */
export interface ComponentActions {
  invoke(message: ApiMessage, component: Component, values?: string[]): void;
  /** Toggles the acting member's reaction. */
  react(message: ApiMessage, emoji: string): void;
  /** Options for user/role/channel selects (the guild's). */
  choices(type: number): { label: string; value: string }[];
  /** The script's message context-menu commands (Apps on a message). */
  messageCommands: { id: string; name: string }[];
  /** Runs a context-menu command on a message. */
  runMessageCommand(message: ApiMessage, commandId: string): void;
}

export const EPHEMERAL = 1 << 6;
/** The emoji offered when hovering a message (the emulator knows Unicode emoji only). */
const QUICK_REACTIONS = ["👍", "❤️", "😂", "🎉", "👀"];
export const IS_COMPONENTS_V2 = 1 << 15;
const LOADING = 1 << 7;

function hex(color: number | null | undefined): string | undefined {
  return typeof color === "number" ? `#${color.toString(16).padStart(6, "0")}` : undefined;
}

function EmbedView(props: { embed: Embed; names: Names }) {
  const e = props.embed;
  return (
    <div class="embed" data-testid="embed" style={{ borderLeftColor: hex(e.color) ?? "#1e1f22" }}>
      <div class="embed-body">
        {e.author?.name ? <div class="embed-author">{e.author.name}</div> : null}
        {e.title
          ? (
            <div class="embed-title">
              {e.url ? <a href={e.url} target="_blank" rel="noreferrer">{e.title}</a> : e.title}
            </div>
          )
          : null}
        {e.description ? <Markdown text={e.description} names={props.names} /> : null}
        {e.fields?.length
          ? (
            <div class="embed-fields">
              {e.fields.map((f) => (
                <div class={f.inline ? "embed-field inline" : "embed-field"}>
                  <div class="embed-field-name">{f.name}</div>
                  <Markdown text={f.value} names={props.names} />
                </div>
              ))}
            </div>
          )
          : null}
        {e.image?.url ? <img class="embed-image" src={e.image.url} alt="" /> : null}
        {e.footer?.text || e.timestamp
          ? (
            <div class="embed-footer">
              {[e.footer?.text, e.timestamp ? new Date(e.timestamp).toLocaleString() : undefined]
                .filter(Boolean).join(" • ")}
            </div>
          )
          : null}
      </div>
      {e.thumbnail?.url ? <img class="embed-thumb" src={e.thumbnail.url} alt="" /> : null}
    </div>
  );
}

const BUTTON_STYLES: Record<number, string> = {
  1: "primary",
  2: "secondary",
  3: "success",
  4: "danger",
  5: "link",
  6: "premium",
};

function ComponentView(
  props: { c: Component; message: ApiMessage; actions: ComponentActions; names: Names },
): Child {
  const { c, message, actions, names } = props;
  const children = (list: Component[] | undefined) =>
    (list ?? []).map((child) => (
      <ComponentView c={child} message={message} actions={actions} names={names} />
    ));
  switch (c.type) {
    case 1:
      return <div class="action-row">{children(c.components)}</div>;
    case 2: {
      const style = BUTTON_STYLES[c.style ?? 2] ?? "secondary";
      const label = [c.emoji?.name, c.label].filter(Boolean).join(" ");
      if (c.style === 5 && c.url) {
        return (
          <a class={`button ${style}`} href={c.url} target="_blank" rel="noreferrer">
            {label} ↗
          </a>
        );
      }
      return (
        <button
          type="button"
          class={`button ${style}`}
          disabled={c.disabled}
          data-custom-id={c.custom_id}
          onClick={() => actions.invoke(message, c)}
        >
          {label}
        </button>
      );
    }
    case 3:
    case 5:
    case 6:
    case 7:
    case 8: {
      const options = c.type === 3
        ? (c.options ?? []).map((o) => ({ label: o.label, value: o.value }))
        : actions.choices(c.type);
      return (
        <select
          class="select"
          disabled={c.disabled}
          data-custom-id={c.custom_id}
          onChange={(event: Event) => {
            const value = valueOf(event);
            if (value) actions.invoke(message, c, [value]);
          }}
        >
          <option value="">{c.placeholder ?? "Make a selection"}</option>
          {options.map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
        </select>
      );
    }
    case 9:
      return (
        <div class="section">
          <div class="section-text">{children(c.components)}</div>
          {c.accessory
            ? (
              <div class="section-accessory">
                <ComponentView c={c.accessory} message={message} actions={actions} names={names} />
              </div>
            )
            : null}
        </div>
      );
    case 10:
      return (
        <div class="text-display">
          <Markdown text={c.content ?? ""} names={names} />
        </div>
      );
    case 11:
      return c.media?.url ? <img class="thumbnail" src={c.media.url} alt="" /> : null;
    case 12:
      return (
        <div class="gallery">
          {(c.items ?? []).map((item, i) =>
            item.media?.url
              ? <img key={i} src={item.media.url} alt={item.description ?? ""} />
              : null
          )}
        </div>
      );
    case 13:
      return <div class="file">📄 {c.file?.url?.replace(/^attachment:\/\//, "") ?? "file"}</div>;
    case 14:
      return <div class={c.divider === false ? "separator blank" : "separator"} />;
    case 17:
      return (
        <div
          class="container"
          data-testid="container"
          style={{ borderLeftColor: hex(c.accent_color) ?? "transparent" }}
        >
          {children(c.components)}
        </div>
      );
    default:
      return <div class="unknown">[component type {c.type}]</div>;
  }
}

function initials(name: string): string {
  return name.slice(0, 1).toUpperCase();
}

/** One message in the channel. */
export function MessageView(
  props: { message: ApiMessage; names: Names; actions: ComponentActions },
) {
  const m = props.message;
  const name = m.author.global_name ?? m.author.username;
  const flags = m.flags ?? 0;
  return (
    <div
      class={m.author.bot ? "message bot" : "message"}
      data-testid="message"
      data-message-id={m.id}
    >
      <div class="avatar" style={{ background: m.author.bot ? "#5865f2" : "#3ba55c" }}>
        {initials(name)}
      </div>
      <div class="message-main">
        {m.referenced_message
          ? (
            <div class="reply-ref">
              ↱ {m.referenced_message.author.username}: {m.referenced_message.content.slice(0, 80)}
            </div>
          )
          : null}
        {m.interaction_metadata?.user
          ? (
            <div class="reply-ref">
              ↱ {m.interaction_metadata.user.username} used{" "}
              {m.interaction_metadata.name ? `/${m.interaction_metadata.name}` : "a component"}
            </div>
          )
          : null}
        <div class="message-head">
          <span class="author">{name}</span>
          {m.author.bot ? <span class="badge">APP</span> : null}
          <span class="time">{new Date(m.timestamp).toLocaleTimeString()}</span>
          {m.edited_timestamp ? <span class="time">(edited)</span> : null}
        </div>
        {flags & LOADING ? <div class="thinking">{name} is thinking…</div> : null}
        {m.content ? <Markdown text={m.content} names={props.names} /> : null}
        {(m.embeds ?? []).map((e, i) => <EmbedView key={i} embed={e} names={props.names} />)}
        {m.components?.length
          ? (
            <div class={flags & IS_COMPONENTS_V2 ? "components v2" : "components"}>
              {m.components.map((c) => (
                <ComponentView c={c} message={m} actions={props.actions} names={props.names} />
              ))}
            </div>
          )
          : null}
        {m.reactions?.length
          ? (
            <div class="reactions">
              {m.reactions.map((r) => (
                <button
                  type="button"
                  class={r.me ? "reaction me" : "reaction"}
                  data-testid="reaction"
                  onClick={() => r.emoji.name && props.actions.react(m, r.emoji.name)}
                >
                  {r.emoji.id ? `:${r.emoji.name}:` : r.emoji.name} {r.count}
                </button>
              ))}
            </div>
          )
          : null}
        {flags & EPHEMERAL ? <div class="ephemeral">👁 Only you can see this</div> : null}
      </div>
      <span class="add-reaction" data-testid="add-reaction">
        {QUICK_REACTIONS.map((emoji) => (
          <button
            type="button"
            class="quick-reaction"
            title={`React with ${emoji}`}
            onClick={() => props.actions.react(m, emoji)}
          >
            {emoji}
          </button>
        ))}
        {props.actions.messageCommands.map((command) => (
          <button
            type="button"
            class="quick-reaction"
            data-testid="message-app"
            title={`Apps → ${command.name}`}
            onClick={() => props.actions.runMessageCommand(m, command.id)}
          >
            ⋯ {command.name}
          </button>
        ))}
      </span>
    </div>
  );
}
