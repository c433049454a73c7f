/**
 * The parts a stored message is built from: parsed mentions, uploaded
 * attachments, embeds (with `attachment://` resolved), forward snapshots and
 * components as Discord stores them.
 *
 * @module
 */

import type { UploadedFile } from "./body.ts";
import { isRecord } from "./body.ts";
import { cloneJson } from "./clone.ts";
import { Permissions } from "./permissions.ts";
import type { EmulatorState } from "./state.ts";
import type { ApiAttachment, ApiEmbed, ApiMessage, ApiMessageSnapshot, ApiUser } from "./types.ts";

export interface ParsedMentions {
  users: ApiUser[];
  roles: string[];
  everyone: boolean;
}

/** Whether `allowed_mentions` lets a reply ping its author (missing: yes). */
export function allowsRepliedUser(allowed: unknown): boolean {
  if (!isRecord(allowed)) return true;
  return allowed.replied_user === true;
}

/** Resolves <@id>, <@&id> and @everyone against allowed_mentions, as Discord does. */
export function parseMentions(
  state: EmulatorState,
  guildId: string | undefined,
  channelId: string,
  authorId: string,
  content: string,
  allowed: unknown,
): ParsedMentions {
  const parse = isRecord(allowed)
    ? (Array.isArray(allowed.parse) ? allowed.parse : [])
    : ["users", "roles", "everyone"];
  const explicitUsers = isRecord(allowed) && Array.isArray(allowed.users)
    ? allowed.users.map(String)
    : [];
  const explicitRoles = isRecord(allowed) && Array.isArray(allowed.roles)
    ? allowed.roles.map(String)
    : [];
  const users: ApiUser[] = [];
  for (const match of content.matchAll(/<@!?(\d{1,20})>/g)) {
    const id = match[1];
    const user = state.users.get(id);
    if (!user || users.some((u) => u.id === id)) continue;
    if (parse.includes("users") || explicitUsers.includes(id)) users.push(user);
  }
  const roles: string[] = [];
  for (const match of content.matchAll(/<@&(\d{1,20})>/g)) {
    const id = match[1];
    if (!guildId || !state.guilds.get(guildId)?.roles.has(id) || roles.includes(id)) continue;
    if (parse.includes("roles") || explicitRoles.includes(id)) roles.push(id);
  }
  let everyone = false;
  if (/@(everyone|here)/.test(content) && parse.includes("everyone") && guildId) {
    // MENTION_EVERYONE is a channel permission: overwrites can grant or deny it.
    const perms = state.guilds.get(guildId)?.members.has(authorId)
      ? state.permissions(guildId, authorId, channelId)
      : 0n;
    everyone = (perms & Permissions.MENTION_EVERYONE) !== 0n;
  }
  return { users, roles, everyone };
}

/**
 * Stores uploaded files as attachments. `files[n]` pairs with the
 * `attachments` entry whose `id` is n (a number or a numeric string, as
 * Discord's own examples send), which may rename it and describe it.
 */
export function uploadAttachments(
  state: EmulatorState,
  channelId: string,
  files: UploadedFile[],
  metadata: unknown,
): ApiAttachment[] {
  const described = Array.isArray(metadata) ? metadata.filter(isRecord) : [];
  return files.map((file, i) => {
    const index = /^files\[(\d+)\]$/.exec(file.field)?.[1] ?? String(i);
    const meta = described.find((a) => String(a.id) === index);
    const filename = typeof meta?.filename === "string" ? meta.filename : file.filename;
    const id = state.ids.next();
    const url = `https://cdn.discordapp.com/attachments/${channelId}/${id}/${filename}`;
    const attachment: ApiAttachment = {
      id,
      filename,
      size: file.size,
      url,
      proxy_url: url.replace("cdn.discordapp.com", "media.discordapp.net"),
      content_type: file.contentType,
    };
    if (typeof meta?.description === "string") attachment.description = meta.description;
    return attachment;
  });
}

/** Embed fields that may point at an upload with `attachment://filename`. */
const ATTACHMENT_URL_FIELDS = [
  ["image", "url"],
  ["thumbnail", "url"],
  ["author", "icon_url"],
  ["footer", "icon_url"],
] as const;

/**
 * A body's embeds as stored: typed `rich`, fields' `inline` made explicit,
 * and `attachment://` URLs rewritten to the uploaded attachment's CDN URL.
 */
export function embedsOf(embeds: unknown, attachments: ApiAttachment[]): ApiEmbed[] {
  if (!Array.isArray(embeds)) return [];
  return embeds.filter(isRecord).map((input) => {
    const embed = { type: "rich", ...cloneJson(input) } as ApiEmbed;
    if (Array.isArray(embed.fields)) {
      embed.fields = embed.fields.map((f) => ({ ...f, inline: f.inline === true }));
    }
    for (const [key, field] of ATTACHMENT_URL_FIELDS) {
      const part = embed[key];
      if (!isRecord(part) || typeof part[field] !== "string") continue;
      const name = /^attachment:\/\/(.+)$/.exec(part[field])?.[1];
      const attachment = name ? attachments.find((a) => a.filename === name) : undefined;
      if (!attachment) continue;
      part[field] = attachment.url;
      part[field === "url" ? "proxy_url" : "proxy_icon_url"] = attachment.proxy_url;
    }
    return embed;
  });
}

/** What a forward keeps of the original message (Discord's message snapshot). */
export function snapshotOf(message: ApiMessage): ApiMessageSnapshot["message"] {
  return cloneJson({
    type: message.type,
    content: message.content,
    embeds: message.embeds,
    attachments: message.attachments,
    timestamp: message.timestamp,
    edited_timestamp: message.edited_timestamp,
    flags: message.flags,
    mentions: message.mentions,
    mention_roles: message.mention_roles,
    components: message.components,
  });
}

/** Select menus (string, user, role, mentionable, channel): Discord fills in their value counts. */
const SELECTS = new Set([3, 5, 6, 7, 8]);

/**
 * `components` as Discord stores them: every component gets a numeric `id`
 * (those the bot set are kept, the rest numbered in tree order from 1,
 * skipping taken ids), and select menus get `min_values`/`max_values`
 * (default 1).
 */
export function storedComponents(components: unknown[]): unknown[] {
  const copy = cloneJson(components);
  const all: Record<string, unknown>[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!isRecord(node)) return;
    if (typeof node.type === "number") all.push(node);
    for (const key of ["components", "accessory", "items"]) walk(node[key]);
  };
  walk(copy);
  const taken = new Set(all.map((c) => c.id).filter((id) => typeof id === "number"));
  let next = 1;
  for (const component of all) {
    if (SELECTS.has(component.type as number)) {
      component.min_values ??= 1;
      component.max_values ??= 1;
    }
    if (typeof component.id === "number") continue;
    while (taken.has(next)) next++;
    component.id = next;
    taken.add(next);
  }
  return copy;
}
