/**
 * Building the page's DOM. Children are elements or strings, and strings
 * always become text nodes: user data (log lines, KV values, file names,
 * guild names) is never parsed as HTML.
 *
 * @module
 */

type Child = Node | string | null | undefined | false;
type Attrs = Record<string, string | boolean | undefined | ((event: Event) => void)>;

/** Creates an element; `on*` attributes are listeners, other values attributes. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === "function") el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return el;
}

/** Replaces an element's children. */
export function fill(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren();
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
}

/** Announces a short message to screen readers and shows it in the status bar. */
export function announce(text: string, kind: "info" | "error" = "info"): void {
  const bar = document.getElementById("status");
  if (!bar) return;
  bar.className = kind === "error" ? "status error" : "status";
  bar.textContent = text;
}
