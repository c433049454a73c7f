/**
 * Shapes the playground's server sends its page. Plain data, shared by both
 * sides (the page bundles this module; it imports nothing).
 *
 * @module
 */

/** A slash command option as Discord registers it. */
export interface CommandOption {
  type: number;
  name: string;
  description?: string;
  required?: boolean;
  choices?: { name: string; value: string | number }[];
  options?: CommandOption[];
  min_value?: number;
  max_value?: number;
  /** The script suggests values while this option is typed. */
  autocomplete?: boolean;
}

/** A registered chat-input command. */
export interface Command {
  id: string;
  name: string;
  description?: string;
  options?: CommandOption[];
}

/** How the last deploy went. */
export interface DeployStatus {
  ok: boolean;
  revision?: number;
  error?: string;
  at: number;
}

/** Everything the page needs to draw the guild. */
export interface PlaygroundWorld {
  guild: { id: string; name: string };
  entry: string;
  botUser: { id: string; name: string };
  channels: { id: string; name: string }[];
  roles: { id: string; name: string }[];
  members: { id: string; name: string; roles: string[] }[];
  commands: Command[];
  /** User (type 2) and message (type 3) context-menu commands, run from the Apps menus. */
  contextMenus: { id: string; name: string; type: 2 | 3 }[];
  deploy: DeployStatus | null;
}

/** A log line as the page shows it. */
export interface LogEntry {
  seq: number;
  at: number;
  level: "debug" | "info" | "warn" | "error";
  message: string;
}

/** A KV store with its entries. */
export interface KvStoreView {
  store: string;
  entries: { key: string; value: unknown }[];
}

/** A modal the bot opened for a user. */
export interface OpenModal {
  interactionId: string;
  userId: string;
  channelId: string;
  modal: { custom_id: string; title: string; components: unknown[] };
}
