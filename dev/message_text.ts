/**
 * A Discord message as plain terminal text: author, content, then one line
 * per embed, component and reaction — enough to read what the bot sent and
 * to know which custom_id to click.
 *
 * @example
 * ```ts
 * console.log(messageText(message));
 * // Flora [bot]: Pick one
 * //   [button Yes] (id: yes)
 * ```
 *
 * @module
 */

import type { ApiMessage } from "../emulator/types.ts";

type Node = Record<string, unknown>;

function isNode(value: unknown): value is Node {
  return typeof value === "object" && value !== null;
}

function componentLines(component: unknown, indent: string): string[] {
  if (!isNode(component)) return [];
  const c = component;
  const children = (list: unknown, deeper = indent) =>
    Array.isArray(list) ? list.flatMap((child) => componentLines(child, deeper)) : [];
  const id = typeof c.custom_id === "string" ? ` (id: ${c.custom_id})` : "";
  switch (c.type) {
    case 1:
      return children(c.components);
    case 2: {
      const label = [isNode(c.emoji) ? c.emoji.name : undefined, c.label].filter(Boolean).join(" ");
      const link = c.style === 5 && typeof c.url === "string" ? ` → ${c.url}` : "";
      const disabled = c.disabled ? " (disabled)" : "";
      return [`${indent}[button ${label}]${id}${link}${disabled}`];
    }
    case 3: {
      const options = Array.isArray(c.options)
        ? c.options.filter(isNode).map((o) => `${o.label}=${o.value}`).join(", ")
        : "";
      return [`${indent}[select ${c.placeholder ?? ""}]${id}: ${options}`];
    }
    case 5:
    case 6:
    case 7:
    case 8:
      return [`${indent}[select ${c.placeholder ?? "…"}]${id}`];
    case 9:
      return [...children(c.components), ...componentLines(c.accessory, indent + "  ")];
    case 10:
      return String(c.content ?? "").split("\n").map((line) => `${indent}${line}`);
    case 11:
      return [`${indent}[thumbnail]`];
    case 12:
      return [`${indent}[gallery of ${Array.isArray(c.items) ? c.items.length : 0}]`];
    case 13:
      return [`${indent}[file]`];
    case 14:
      return [`${indent}────────`];
    case 17:
      return [`${indent}┌ container`, ...children(c.components, indent + "│ ")];
    default:
      return [`${indent}[component type ${c.type}]`];
  }
}

function embedLines(embed: unknown): string[] {
  if (!isNode(embed)) return [];
  const lines: string[] = [];
  const head = [
    isNode(embed.author) ? embed.author.name : undefined,
    embed.title,
  ].filter(Boolean).join(" — ");
  lines.push(`  ▌ ${head || "embed"}`);
  if (typeof embed.description === "string") {
    lines.push(...embed.description.split("\n").map((l) => `  ▌ ${l}`));
  }
  if (Array.isArray(embed.fields)) {
    for (const f of embed.fields.filter(isNode)) lines.push(`  ▌ ${f.name}: ${f.value}`);
  }
  if (isNode(embed.footer) && embed.footer.text) lines.push(`  ▌ ${embed.footer.text}`);
  return lines;
}

/** The message as lines of text (first line: author and content). */
export function messageText(message: ApiMessage): string {
  const m = message as ApiMessage & Node;
  const author = m.author.global_name ?? m.author.username;
  const tags = [
    m.author.bot ? "bot" : undefined,
    (Number(m.flags ?? 0) & 64) ? "only you can see this" : undefined,
    m.edited_timestamp ? "edited" : undefined,
  ].filter(Boolean);
  const lines = [`${author}${tags.length ? ` [${tags.join(", ")}]` : ""}: ${m.content ?? ""}`];
  if (Array.isArray(m.embeds)) lines.push(...m.embeds.flatMap(embedLines));
  if (Array.isArray(m.components)) {
    lines.push(...m.components.flatMap((c) => componentLines(c, "  ")));
  }
  if (Array.isArray(m.reactions) && m.reactions.length) {
    lines.push(
      "  " +
        m.reactions.filter(isNode).map((r) => `${isNode(r.emoji) ? r.emoji.name : "?"} ${r.count}`)
          .join("  "),
    );
  }
  return lines.join("\n");
}

/** Every clickable component of a message: custom_id, label and type. */
export function clickables(
  message: ApiMessage,
): { customId: string; label: string; type: number; options: string[] }[] {
  const out: { customId: string; label: string; type: number; options: string[] }[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!isNode(node)) return;
    if (typeof node.custom_id === "string" && typeof node.type === "number" && node.type !== 4) {
      const options = Array.isArray(node.options)
        ? node.options.filter(isNode).map((o) => String(o.value))
        : [];
      out.push({
        customId: node.custom_id,
        label: String(node.label ?? node.placeholder ?? node.custom_id),
        type: node.type,
        options,
      });
    }
    walk(node.components);
    walk(node.accessory);
  };
  walk((message as ApiMessage & Node).components);
  return out;
}
