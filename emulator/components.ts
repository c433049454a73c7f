/**
 * Message component rules Discord enforces beyond the spec's shapes: buttons
 * need a `custom_id` (link buttons a `url` and no `custom_id`), custom ids are
 * unique per message, at most 5 action rows, Components V2 blocks only with
 * the IS_COMPONENTS_V2 flag, and that flag excludes `content` and `embeds`.
 * Each failure is Discord's 400 / 50035 naming the offending field.
 *
 * @module
 */

import { isRecord } from "./body.ts";
import { invalidField } from "./errors.ts";

/** MessageFlags.IS_COMPONENTS_V2. */
export const IS_COMPONENTS_V2 = 1 << 15;

/** Top-level components that exist only in Components V2 layouts. */
const V2_ONLY = new Set([9, 10, 11, 12, 13, 14, 17]);
const BUTTON = 2;
const LINK = 5;
const PREMIUM = 6;
/** Components that carry a `custom_id` (buttons, selects, text inputs). */
const INTERACTIVE = new Set([2, 3, 4, 5, 6, 7, 8]);
/** Legacy messages: at most 5 action rows. V2 messages: at most 40 components in all. */
const MAX_ROWS = 5;
const MAX_V2_COMPONENTS = 40;

/**
 * Throws Discord's 50035 for the first rule `components` breaks, given the
 * message's `flags` and whether it has `content`/`embeds`.
 *
 * @example
 * ```ts
 * validateComponents([{ type: 1, components: [{ type: 2, style: 1 }] }], 0, {});
 * // throws: components.0.components.0.custom_id is required
 * ```
 */
export function validateComponents(
  components: unknown,
  flags: number,
  body: { content?: unknown; embeds?: unknown },
): void {
  const v2 = (flags & IS_COMPONENTS_V2) !== 0;
  if (v2) {
    for (const key of ["content", "embeds"] as const) {
      const value = body[key];
      const present = key === "content"
        ? typeof value === "string" && value.length > 0
        : Array.isArray(value) && value.length > 0;
      if (present) {
        throw invalidField(
          [key],
          "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
          `The '${key}' field cannot be used when using MessageFlags.IS_COMPONENTS_V2`,
        );
      }
    }
  }
  if (!Array.isArray(components)) return;
  if (!v2 && components.length > MAX_ROWS) {
    throw invalidField(["components"], "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.");
  }
  const seen = new Set<string>();
  let count = 0;
  const walk = (node: unknown, path: (string | number)[], top: boolean) => {
    if (!isRecord(node)) return;
    count++;
    if (top && !v2 && typeof node.type === "number" && V2_ONLY.has(node.type)) {
      throw invalidField(
        [...path, "type"],
        "COMPONENT_LAYOUT_REQUIRES_COMPONENTS_V2",
        "This component type requires the IS_COMPONENTS_V2 message flag.",
      );
    }
    if (node.type === BUTTON) checkButton(node, path);
    if (typeof node.custom_id === "string" && INTERACTIVE.has(node.type as number)) {
      if (seen.has(node.custom_id)) {
        throw invalidField(
          [...path, "custom_id"],
          "COMPONENT_CUSTOM_ID_DUPLICATED",
          "Component custom id cannot be duplicated",
        );
      }
      seen.add(node.custom_id);
    }
    if (Array.isArray(node.components)) {
      node.components.forEach((child, i) => walk(child, [...path, "components", i], false));
    }
    if (isRecord(node.accessory)) walk(node.accessory, [...path, "accessory"], false);
  };
  components.forEach((component, i) => walk(component, ["components", i], true));
  if (v2 && count > MAX_V2_COMPONENTS) {
    throw invalidField(
      ["components"],
      "BASE_TYPE_MAX_LENGTH",
      `Must be ${MAX_V2_COMPONENTS} or fewer in length.`,
    );
  }
}

function checkButton(button: Record<string, unknown>, path: (string | number)[]): void {
  const style = button.style;
  if (style === LINK) {
    if (typeof button.url !== "string") {
      throw invalidField([...path, "url"], "BASE_TYPE_REQUIRED", "This field is required");
    }
    if (button.custom_id !== undefined && button.custom_id !== null) {
      throw invalidField(
        [...path, "custom_id"],
        "BUTTON_COMPONENT_CUSTOM_ID_NOT_ALLOWED",
        "A link button cannot have a custom id",
      );
    }
    return;
  }
  if (style === PREMIUM) {
    if (typeof button.sku_id !== "string") {
      throw invalidField([...path, "sku_id"], "BASE_TYPE_REQUIRED", "This field is required");
    }
    return;
  }
  if (typeof button.custom_id !== "string" || button.custom_id.length === 0) {
    throw invalidField([...path, "custom_id"], "BASE_TYPE_REQUIRED", "This field is required");
  }
}
