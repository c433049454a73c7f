/**
 * What a script declares when it loads: its application commands (in
 * Discord's shape) and its `cron()` jobs. Carried by the `loaded` message.
 *
 * @module
 */

/** One option of a slash command as registered with Discord (snake_case, Discord's shape). */
export interface CommandOptionDefinition {
  type: number;
  name: string;
  description: string;
  required?: boolean;
  choices?: { name: string; value: string | number }[];
  options?: CommandOptionDefinition[];
  min_value?: number;
  max_value?: number;
  min_length?: number;
  max_length?: number;
  autocomplete?: boolean;
  channel_types?: number[];
}

/** An application command as registered with Discord for the guild (bulk overwrite body item). */
export interface CommandDefinition {
  name: string;
  description: string;
  /** 1 chat input, 2 user, 3 message. */
  type: number;
  options?: CommandOptionDefinition[];
  default_member_permissions?: string | null;
}

/** A `cron()` job a script declared: five-field UTC expression. */
export interface CronDefinition {
  name: string;
  schedule: string;
  /** Skip a run while the previous run of the same job is still going. */
  skipIfRunning: boolean;
}
