/**
 * The emulated bot's identity: its user and its application, as Discord
 * returns them, and the application flags that grant privileged intents.
 *
 * @module
 */

import type { ApiApplication, ApiUser } from "./types.ts";

/** Application flags granting all three privileged intents (the "limited" variants). */
export const PRIVILEGED_INTENT_FLAGS = (1 << 13) | (1 << 15) | (1 << 19);

/**
 * The bot's user object.
 *
 * @example
 * ```ts
 * const bot = newBotUser(ids.next());
 * ```
 */
export function newBotUser(id: string): ApiUser {
  return {
    id,
    username: "Flora",
    discriminator: "0",
    global_name: null,
    avatar: null,
    bot: true,
    public_flags: 0,
    flags: 0,
    primary_guild: null,
  };
}

/** The bot's application; `flags` carry the privileged-intent grants (see READY). */
export function newApplication(botUser: ApiUser, name: string, flags: number): ApiApplication {
  return {
    id: botUser.id,
    name,
    icon: null,
    description: "flora's emulated application",
    bot_public: true,
    bot_require_code_grant: false,
    bot: botUser,
    verify_key: "0".repeat(64),
    flags,
    team: null,
    type: null,
    flags_new: String(flags),
    redirect_uris: [],
    role_connections_verification_url: null,
    explicit_content_filter: 0,
    summary: "",
    interactions_endpoint_url: null,
  };
}
