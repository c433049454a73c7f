/**
 * Public types of the script SDK: what a guild script sees. The globals
 * declared in `globals.d.ts` and their implementation both use these, so
 * the declarations cannot drift from the code. Payloads are Discord's own
 * objects (snake_case), as the gateway sends them.
 *
 * Only re-exports: each section lives in `types/` (and is listed with the
 * SDK's type files in `client/sdk_files.ts`, so projects get it).
 *
 * @module
 */

export * from "./types/discord_objects.ts";
export * from "./types/message_bodies.ts";
export * from "./types/slash_commands.ts";
export * from "./types/components.ts";
export * from "./types/prefix_commands.ts";
export * from "./types/interactions.ts";
export * from "./types/events.ts";
export * from "./types/kv.ts";
export * from "./types/sorted.ts";
export * from "./types/cron.ts";
