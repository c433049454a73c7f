/**
 * Deployment history: status, author and time of each revision, a diff
 * between any two revisions' files, and one-click rollback.
 *
 * @module
 */

import { createTwoFilesPatch } from "diff";
import { api } from "./api.ts";
import { announce, fill, h } from "./dom.ts";

interface Summary {
  revision: number;
  status: string;
  createdBy: string;
  createdAt: string;
  error?: string;
  entry: string;
}

type Files = { path: string; content: string }[];

async function filesOf(guildId: string, revision: number): Promise<Files> {
  const r = await api<{ files: Files }>(
    "GET",
    `/deployments/${guildId}/revisions/${revision}/sources`,
  );
  return r.files;
}

/** A unified diff of two revisions' files, as text lines (added/removed marked by class). */
async function diff(guildId: string, from: number, to: number): Promise<HTMLElement> {
  const [a, b] = await Promise.all([filesOf(guildId, from), filesOf(guildId, to)]);
  const paths = [...new Set([...a, ...b].map((f) => f.path))].sort();
  const text = (list: Files, path: string) => list.find((f) => f.path === path)?.content ?? "";
  const lines = paths.flatMap((path) => {
    const before = text(a, path);
    const after = text(b, path);
    if (before === after) return [];
    return createTwoFilesPatch(`r${from}/${path}`, `r${to}/${path}`, before, after).split("\n")
      .slice(1);
  });
  if (lines.length === 0) return h("p", {}, `r${from} and r${to} have the same files.`);
  return h(
    "pre",
    { class: "diff", "aria-label": `Changes from r${from} to r${to}`, tabindex: "0" },
    lines.map((line) =>
      h(
        "span",
        { class: line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : "" },
        line + "\n",
      )
    ),
  );
}

/** Renders the history of a guild into `root`. */
export async function renderDeployments(
  root: HTMLElement,
  guildId: string,
  onChanged: () => void,
): Promise<void> {
  const { deployments } = await api<{ deployments: Summary[] }>(
    "GET",
    `/deployments/${guildId}?limit=50`,
  );
  const output = h("div", { class: "diff-output", "aria-live": "polite" });
  const revisions = deployments.map((d) => String(d.revision));
  const select = (label: string, value: string) =>
    h(
      "label",
      {},
      label + " ",
      h(
        "select",
        { "data-role": label },
        revisions.map((r) => {
          const option = h("option", { value: r }, `r${r}`);
          if (r === value) option.selected = true;
          return option;
        }),
      ),
    );
  const fromSel = select("from", revisions[1] ?? revisions[0] ?? "");
  const toSel = select("to", revisions[0] ?? "");
  const rollback = async (d: Summary) => {
    if (!confirm(`Roll back to revision ${d.revision}? It is deployed again as a new revision.`)) {
      return;
    }
    const r = await api<{ deployment: { revision: number; status: string; error?: string } }>(
      "POST",
      `/deployments/${guildId}/rollback`,
      { revision: d.revision },
    );
    announce(
      r.deployment.status === "active"
        ? `Rolled back: revision ${r.deployment.revision} (the files of r${d.revision}) is live`
        : `Rollback failed to load: ${r.deployment.error ?? ""}`,
      r.deployment.status === "active" ? "info" : "error",
    );
    onChanged();
  };
  fill(
    root,
    h("h2", {}, "Deployments"),
    deployments.length === 0 ? h("p", {}, "Nothing deployed yet.") : h(
      "table",
      { class: "history" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ["Revision", "Status", "By", "When", ""].map((t) => h("th", { scope: "col" }, t)),
        ),
      ),
      h(
        "tbody",
        {},
        deployments.map((d) =>
          h(
            "tr",
            {},
            h("td", {}, `r${d.revision}`),
            h(
              "td",
              {},
              h("span", { class: `badge ${d.status}` }, d.status),
              d.error ? h("div", { class: "error-text" }, d.error) : null,
            ),
            h("td", {}, d.createdBy),
            h(
              "td",
              {},
              h("time", { datetime: d.createdAt }, new Date(d.createdAt).toLocaleString()),
            ),
            h(
              "td",
              {},
              d.status === "active" ? null : h("button", {
                type: "button",
                onclick: () => void rollback(d).catch((e) => announce(String(e.message), "error")),
              }, `Roll back to r${d.revision}`),
            ),
          )
        ),
      ),
    ),
    deployments.length > 1
      ? h(
        "div",
        { class: "row" },
        h("h3", {}, "Compare"),
        fromSel,
        toSel,
        h("button", {
          type: "button",
          onclick: async () => {
            const from = Number(fromSel.querySelector("select")!.value);
            const to = Number(toSel.querySelector("select")!.value);
            fill(output, await diff(guildId, from, to));
          },
        }, "Show diff"),
      )
      : null,
    output,
  );
}
