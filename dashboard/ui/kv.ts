/**
 * The KV browser: a guild's stores, keys by prefix with cursor paging, and
 * JSON values to view, edit or delete (both behind a confirmation).
 *
 * @module
 */

import { api } from "./api.ts";
import { announce, fill, h } from "./dom.ts";

interface Entry {
  key: string;
  value: unknown;
}

/** Renders the KV browser. */
export async function renderKv(root: HTMLElement, guildId: string): Promise<void> {
  const { stores: names } = await api<{ stores: string[] }>("GET", `/kv/${guildId}`);
  const storeSel = h("select", { id: "kv-store" }, names.map((n) => h("option", { value: n }, n)));
  const prefix = h("input", { id: "kv-prefix", type: "search", placeholder: "key prefix" });
  const list = h("ul", { class: "kv-keys", "aria-label": "Keys" });
  const editor = h("div", { class: "kv-entry" });
  const more = h("button", { type: "button", hidden: true }, "More keys");
  let cursor: string | undefined;
  const base = () => `/kv/${guildId}/${encodeURIComponent(storeSel.value)}`;

  const openEntry = async (key: string) => {
    const { entry } = await api<{ entry: Entry }>(
      "GET",
      `${base()}/entry?key=${encodeURIComponent(key)}`,
    );
    const text = h("textarea", {
      id: "kv-value",
      rows: "10",
      spellcheck: "false",
    });
    text.value = JSON.stringify(entry.value, null, 2);
    const save = async () => {
      let value: unknown;
      try {
        value = JSON.parse(text.value);
      } catch (error) {
        return announce(`Not saved: the value is not JSON (${(error as Error).message})`, "error");
      }
      if (!confirm(`Save the new value of ${key}? The script sees it at once.`)) return;
      await api("PUT", `${base()}/entry?key=${encodeURIComponent(key)}`, { value });
      announce(`Saved ${key}`);
    };
    const remove = async () => {
      if (!confirm(`Delete ${key}? This cannot be undone.`)) return;
      await api("DELETE", `${base()}/entry?key=${encodeURIComponent(key)}`);
      announce(`Deleted ${key}`);
      fill(editor);
      await load(false);
    };
    fill(
      editor,
      h("h3", {}, key),
      h("label", { for: "kv-value" }, "Value (JSON)"),
      text,
      h(
        "div",
        { class: "row" },
        h(
          "button",
          { type: "button", class: "primary", onclick: () => void save().catch(fail) },
          "Save",
        ),
        h(
          "button",
          { type: "button", class: "danger", onclick: () => void remove().catch(fail) },
          "Delete",
        ),
      ),
    );
  };
  const fail = (error: Error) => announce(error.message, "error");

  let loads = 0;
  const load = async (append: boolean) => {
    if (!storeSel.value) return;
    // A slower answer for an earlier store or prefix must not replace a newer one.
    const seq = ++loads;
    const query = new URLSearchParams({ limit: "50" });
    if (prefix.value) query.set("prefix", prefix.value);
    if (append && cursor) query.set("cursor", cursor);
    const page = await api<{ entries: Entry[]; cursor?: string }>("GET", `${base()}?${query}`);
    if (seq !== loads) return;
    cursor = page.cursor;
    more.hidden = !cursor;
    const items = page.entries.map((e) =>
      h(
        "li",
        {},
        h("button", {
          type: "button",
          class: "link",
          onclick: () => void openEntry(e.key).catch(fail),
        }, e.key),
      )
    );
    if (append) list.append(...items);
    else fill(list, items);
  };
  more.addEventListener("click", () => void load(true).catch(fail));
  storeSel.addEventListener("change", () => void load(false).catch(fail));
  prefix.addEventListener("input", () => void load(false).catch(fail));

  fill(
    root,
    h("h2", {}, "KV stores"),
    names.length === 0 ? h("p", {}, "This guild has no KV data yet.") : h(
      "div",
      { class: "kv-layout" },
      h(
        "div",
        {},
        h("div", { class: "row" }, h("label", { for: "kv-store" }, "Store"), storeSel),
        h("div", { class: "row" }, h("label", { for: "kv-prefix" }, "Prefix"), prefix),
        list,
        more,
      ),
      editor,
    ),
  );
  await load(false);
}
