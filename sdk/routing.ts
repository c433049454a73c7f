/**
 * `onComponent()` and `onModal()`: handlers for buttons, select menus and
 * modal submits, routed by custom id — exactly, or by prefix for ids that
 * carry data (`vote:42` → `{ prefix: "vote:" }`, `ctx.data` is `"42"`).
 *
 * @module
 */

import type { ComponentContext, CustomIdMatch, ModalContext } from "./types.ts";

interface Route<C> {
  exact?: string;
  prefix?: string;
  handler: (ctx: C) => unknown;
}

/** Exact ids first, then the longest matching prefix. */
class Routes<C> {
  #exact = new Map<string, Route<C>>();
  #prefixes: Route<C>[] = [];

  add(kind: string, match: CustomIdMatch, handler: (ctx: C) => unknown): void {
    if (typeof handler !== "function") throw new TypeError(`${kind} handler must be a function`);
    if (typeof match === "string") {
      if (!match || match.length > 100) {
        throw new TypeError(`${kind} custom id must be 1-100 characters`);
      }
      if (this.#exact.has(match)) throw new Error(`${kind} "${match}" has two handlers`);
      this.#exact.set(match, { exact: match, handler });
      return;
    }
    const prefix = match?.prefix;
    if (typeof prefix !== "string" || !prefix || prefix.length > 100) {
      throw new TypeError(`${kind} route needs a custom id string or { prefix: string }`);
    }
    if (this.#prefixes.some((r) => r.prefix === prefix)) {
      throw new Error(`${kind} prefix "${prefix}" has two handlers`);
    }
    this.#prefixes.push({ prefix, handler });
    this.#prefixes.sort((a, b) => b.prefix!.length - a.prefix!.length);
  }

  /** The handler for a custom id and the data after its prefix. */
  find(customId: string): { handler: (ctx: C) => unknown; data: string } | undefined {
    const exact = this.#exact.get(customId);
    if (exact) return { handler: exact.handler, data: "" };
    const route = this.#prefixes.find((r) => customId.startsWith(r.prefix!));
    return route && { handler: route.handler, data: customId.slice(route.prefix!.length) };
  }
}

export const componentRoutes = new Routes<ComponentContext>();
export const modalRoutes = new Routes<ModalContext>();

/**
 * Handles clicks on buttons and picks in select menus with this custom id.
 *
 * @example
 * ```ts
 * onComponent({ prefix: "vote:" }, (ctx) => ctx.reply({ content: `You chose ${ctx.data}`, ephemeral: true }));
 * ```
 */
export function onComponent(
  match: CustomIdMatch,
  handler: (ctx: ComponentContext) => unknown,
): void {
  componentRoutes.add("component", match, handler);
}

/**
 * Handles submits of modals with this custom id.
 *
 * @example
 * ```ts
 * onModal("feedback", (ctx) => ctx.reply(`Thanks: ${ctx.fields.text}`));
 * ```
 */
export function onModal(match: CustomIdMatch, handler: (ctx: ModalContext) => unknown): void {
  modalRoutes.add("modal", match, handler);
}
