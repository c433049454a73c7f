/**
 * Live logs: the guild's SSE stream (`/logs/:guild/stream`), filtered by
 * level and searched as lines arrive. Lines are text; a stack frame naming
 * a project file (`main.ts:3:7`) is a link to that line in the editor.
 *
 * @module
 */

import { fill, h } from "./dom.ts";

interface LogLine {
  id: string;
  level: "debug" | "info" | "warn" | "error";
  message: string;
  at: string;
}

const LEVELS = ["debug", "info", "warn", "error"] as const;
const FRAME = /([\w./-]+\.(?:ts|js)):(\d+)(?::(\d+))?/g;

/** The message as text nodes, frames naming a project file as buttons. */
function messageNodes(
  message: string,
  isProjectFile: (path: string) => boolean,
  goTo: (path: string, line: number) => void,
): (Node | string)[] {
  const out: (Node | string)[] = [];
  let last = 0;
  for (const match of message.matchAll(FRAME)) {
    const [all, path, line] = match;
    if (!isProjectFile(path)) continue;
    out.push(message.slice(last, match.index));
    out.push(h("button", {
      type: "button",
      class: "link",
      onclick: () => goTo(path, Number(line)),
    }, all));
    last = match.index! + all.length;
  }
  out.push(message.slice(last));
  return out;
}

/** Renders the live log pane; returns a function that closes the stream. */
export function renderLogs(
  root: HTMLElement,
  guildId: string,
  isProjectFile: (path: string) => boolean,
  goTo: (path: string, line: number) => void,
): () => void {
  const lines: LogLine[] = [];
  const list = h("ol", { class: "log-lines", "aria-label": "Log lines", "data-testid": "logs" });
  const level = h(
    "select",
    { id: "log-level" },
    LEVELS.map((l) => h("option", { value: l }, `${l} and above`)),
  );
  const search = h("input", { id: "log-search", type: "search", placeholder: "Search" });
  const state = h("span", { class: "stream-state", "aria-live": "polite" }, "connecting…");
  const visible = (line: LogLine) =>
    LEVELS.indexOf(line.level) >= LEVELS.indexOf(level.value as LogLine["level"]) &&
    line.message.toLowerCase().includes(search.value.toLowerCase());
  const item = (line: LogLine) =>
    h(
      "li",
      { class: `log ${line.level}` },
      h("time", { datetime: line.at }, line.at.slice(11, 23)),
      " ",
      h("span", { class: "level" }, line.level),
      " ",
      h("span", { class: "message" }, messageNodes(line.message, isProjectFile, goTo)),
    );
  const redraw = () => fill(list, lines.filter(visible).map(item));
  level.addEventListener("change", redraw);
  search.addEventListener("input", redraw);

  const source = new EventSource(`/logs/${guildId}/stream?tail=200`);
  source.addEventListener("open", () => state.textContent = "live");
  source.addEventListener("error", () => state.textContent = "reconnecting…");
  source.addEventListener("log", (event) => {
    const line = JSON.parse((event as MessageEvent<string>).data) as LogLine;
    lines.push(line);
    if (lines.length > 2000) lines.shift();
    if (visible(line)) {
      list.append(item(line));
      if (list.childElementCount > 2000) list.firstElementChild?.remove();
      list.scrollTop = list.scrollHeight;
    }
  });

  fill(
    root,
    h("h2", {}, "Live logs"),
    h(
      "div",
      { class: "row" },
      h("label", { for: "log-level" }, "Level"),
      level,
      h("label", { for: "log-search" }, "Search"),
      search,
      state,
    ),
    list,
  );
  return () => source.close();
}
