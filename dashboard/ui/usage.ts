/**
 * Usage: the guild's last 24 hours as small bar charts (SVG built with DOM
 * calls), one per figure, each with its total as text for screen readers.
 *
 * @module
 */

import { api } from "./api.ts";
import { fill, h } from "./dom.ts";

type Hour = Record<string, number> & { start: string };

const FIGURES: [string, string][] = [
  ["eventsHandled", "Events handled"],
  ["eventsDropped", "Events dropped"],
  ["cpuMs", "Handler CPU (ms)"],
  ["discordCalls", "Discord calls"],
  ["discord429", "Discord 429s"],
  ["kvOps", "KV operations"],
  ["errors", "Errors"],
  ["restarts", "Restarts"],
];

const SVG = "http://www.w3.org/2000/svg";

function chart(hours: Hour[], field: string, label: string, total: number): HTMLElement {
  const width = 240;
  const height = 48;
  const max = Math.max(1, ...hours.map((hr) => hr[field]));
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `${label}: ${total} in the last 24 hours`);
  const bar = width / hours.length;
  hours.forEach((hr, i) => {
    const value = hr[field];
    const rect = document.createElementNS(SVG, "rect");
    const barHeight = value === 0 ? 0 : Math.max(1, (value / max) * (height - 2));
    rect.setAttribute("x", String(i * bar + 1));
    rect.setAttribute("y", String(height - barHeight));
    rect.setAttribute("width", String(Math.max(1, bar - 2)));
    rect.setAttribute("height", String(barHeight));
    const title = document.createElementNS(SVG, "title");
    title.textContent = `${hr.start.slice(11, 16)} UTC: ${value}`;
    rect.append(title);
    svg.append(rect);
  });
  return h(
    "figure",
    { class: "chart" },
    h("figcaption", {}, `${label}: `, h("strong", {}, String(total))),
    svg,
  );
}

/** Renders the usage charts. */
export async function renderUsage(root: HTMLElement, guildId: string): Promise<void> {
  const usage = await api<{ hours: Hour[]; totals: Record<string, number> }>(
    "GET",
    `/guilds/${guildId}/usage`,
  );
  fill(
    root,
    h("h2", {}, "Usage, last 24 hours"),
    h(
      "div",
      { class: "charts" },
      FIGURES.map(([field, label]) => chart(usage.hours, field, label, usage.totals[field])),
    ),
  );
}
