/**
 * Secrets: names, allowed hosts and update times; values go in and never
 * come back (the API has no way to read them).
 *
 * @module
 */

import { api } from "./api.ts";
import { announce, fill, h } from "./dom.ts";

interface SecretInfo {
  name: string;
  updatedAt: string;
  allowedHosts: string[];
}

/** Renders the secrets screen. */
export async function renderSecrets(root: HTMLElement, guildId: string): Promise<void> {
  const { secrets } = await api<{ secrets: SecretInfo[] }>("GET", `/secrets/${guildId}`);
  const name = h("input", { id: "secret-name", autocomplete: "off", required: true });
  const value = h("input", { id: "secret-value", type: "password", autocomplete: "new-password" });
  const hosts = h("input", { id: "secret-hosts", placeholder: "api.example.com, *.example.org" });
  const redraw = () => renderSecrets(root, guildId).catch((e) => announce(e.message, "error"));
  const save = async (event: Event) => {
    event.preventDefault();
    const allowedHosts = hosts.value.split(",").map((s) => s.trim()).filter(Boolean);
    await api("PUT", `/secrets/${guildId}/${encodeURIComponent(name.value)}`, {
      value: value.value,
      allowedHosts,
    });
    value.value = "";
    announce(`Secret ${name.value} saved`);
    await redraw();
  };
  const remove = async (s: SecretInfo) => {
    if (!confirm(`Delete the secret ${s.name}? Scripts using it lose access at once.`)) return;
    await api("DELETE", `/secrets/${guildId}/${encodeURIComponent(s.name)}`);
    announce(`Secret ${s.name} deleted`);
    await redraw();
  };
  fill(
    root,
    h("h2", {}, "Secrets"),
    h("p", {}, "Values are write-only: set or replace them here; nobody can read them back."),
    secrets.length === 0 ? h("p", {}, "No secrets yet.") : h(
      "table",
      {},
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ["Name", "Allowed hosts", "Updated", ""].map((t) => h("th", { scope: "col" }, t)),
        ),
      ),
      h(
        "tbody",
        {},
        secrets.map((s) =>
          h(
            "tr",
            {},
            h("td", {}, s.name),
            h("td", {}, s.allowedHosts.join(", ") || "none (cannot be sent anywhere)"),
            h("td", {}, new Date(s.updatedAt).toLocaleString()),
            h(
              "td",
              {},
              h("button", {
                type: "button",
                class: "danger",
                onclick: () => void remove(s).catch((e) => announce(e.message, "error")),
              }, `Delete ${s.name}`),
            ),
          )
        ),
      ),
    ),
    h(
      "form",
      {
        class: "stack",
        onsubmit: (e: Event) => void save(e).catch((err) => announce(err.message, "error")),
      },
      h("h3", {}, "Set a secret"),
      h("label", { for: "secret-name" }, "Name"),
      name,
      h("label", { for: "secret-value" }, "Value"),
      value,
      h("label", { for: "secret-hosts" }, "Allowed hosts (comma-separated)"),
      hosts,
      h("button", { type: "submit", class: "primary" }, "Save secret"),
    ),
  );
}
