/**
 * The dashboard's page: sign-in, the guilds the user may manage, and for a
 * guild its editor, deployments, live logs, KV, secrets, usage and (in
 * local mode) a way to try the bot as an emulator user. Routes are
 * `#/guild/<id>/<tab>`; every screen renders user data as text.
 *
 * @module
 */

import { errorMessage } from "../../shared/error_message.ts";
import { api, ApiFailure, setCsrfToken } from "./api.ts";
import { announce, fill, h } from "./dom.ts";
import { renderDeployments } from "./deployments.ts";
import { type EditorAssets, renderEditor } from "./editor.ts";
import { renderKv } from "./kv.ts";
import { TypeScriptClient } from "./language.ts";
import { renderLocal } from "./local.ts";
import { renderLogs } from "./logs.ts";
import { renderSecrets } from "./secrets.ts";
import { renderUsage } from "./usage.ts";

interface Me {
  kind: "user" | "operator";
  user?: { id: string; username: string };
  csrfToken?: string;
}

interface Guild {
  id: string;
  name: string;
  deployment: { revision: number } | null;
}

interface AbsentGuild {
  id: string;
  name: string;
  inviteUrl: string;
}

const body = document.body;
const assetBase = body.dataset.assets ?? "/dashboard/assets";
const localMode = body.dataset.local === "true";
const assets: EditorAssets = {
  bundlerWorker: `${assetBase}/bundler_worker.js`,
  esbuildWasm: `${assetBase}/esbuild.wasm`,
  starter: `${assetBase}/starter.ts`,
};
const main = document.getElementById("main")!;
const nav = document.getElementById("user-nav")!;
let ts: TypeScriptClient | null = null;
let cleanup: (() => void) | null = null;
/** A file:line to show once the editor has opened (a log frame was clicked). */
let pendingJump: { path: string; line: number } | null = null;
let projectPaths = new Set<string>();

const TABS: [string, string][] = [
  ["editor", "Editor"],
  ["deployments", "Deployments"],
  ["logs", "Logs"],
  ["kv", "KV"],
  ["secrets", "Secrets"],
  ["usage", "Usage"],
  ...(localMode ? [["try", "Try it"] as [string, string]] : []),
];

function signIn(): void {
  fill(nav);
  fill(
    main,
    h(
      "section",
      { class: "welcome" },
      h("h2", {}, "Sign in"),
      h("p", {}, "Write, deploy and watch your server's bot from the browser."),
      h(
        "a",
        { class: "button primary", href: "/auth/login?next=/dashboard" },
        "Sign in with Discord",
      ),
    ),
  );
}

function showError(error: unknown): void {
  const message = errorMessage(error);
  if (error instanceof ApiFailure && error.status === 403) {
    fill(
      main,
      h(
        "section",
        { class: "denied", role: "alert" },
        h("h2", {}, "Not allowed"),
        h("p", {}, message),
      ),
    );
  }
  announce(message, "error");
}

async function guildList(): Promise<void> {
  const [{ guilds }, absent] = await Promise.all([
    api<{ guilds: Guild[] }>("GET", "/guilds"),
    api<{ guilds: AbsentGuild[] }>("GET", "/auth/guilds").catch(() => ({ guilds: [] })),
  ]);
  fill(
    main,
    h("h2", {}, "Your servers"),
    guilds.length === 0 && absent.guilds.length === 0
      ? h("p", {}, "No servers you can manage: you need Manage Server or Administrator.")
      : null,
    h(
      "ul",
      { class: "guilds", "data-testid": "guilds" },
      guilds.map((g) =>
        h(
          "li",
          {},
          h("a", { href: `#/guild/${g.id}/editor` }, g.name),
          h(
            "span",
            { class: "muted" },
            g.deployment ? ` r${g.deployment.revision} live` : " nothing deployed",
          ),
        )
      ),
      absent.guilds.map((g) =>
        h(
          "li",
          { class: "absent" },
          h("span", {}, g.name),
          h("span", { class: "muted" }, " the bot is not in this server "),
          h("a", { href: g.inviteUrl, rel: "noopener" }, `Invite the bot to ${g.name}`),
        )
      ),
    ),
  );
}

/** The live revision's file paths (stack frames naming them become links). */
async function liveFiles(guildId: string): Promise<string[]> {
  try {
    const { deployment } = await api<{ deployment: { revision: number } }>(
      "GET",
      `/deployments/${guildId}/current`,
    );
    const { files } = await api<{ files: { path: string }[] }>(
      "GET",
      `/deployments/${guildId}/revisions/${deployment.revision}/sources`,
    );
    return files.map((f) => f.path);
  } catch {
    return [];
  }
}

async function guildView(guildId: string, tab: string): Promise<void> {
  const { guilds } = await api<{ guilds: Guild[] }>("GET", "/guilds");
  const guild = guilds.find((g) => g.id === guildId);
  if (!guild) {
    // The API decides: a guild the user may not manage answers 403 with the reason.
    await api("GET", `/deployments/${guildId}/current`).catch((e) => {
      if (e instanceof ApiFailure && e.status === 404) return;
      throw e;
    });
  }
  const panel = h("div", { class: "panel", id: "panel", role: "tabpanel", tabindex: "-1" });
  fill(
    main,
    h("h2", { class: "guild-name" }, guild?.name ?? guildId),
    h(
      "nav",
      { class: "tabs", "aria-label": "Guild sections" },
      TABS.map(([id, label]) =>
        h("a", {
          href: `#/guild/${guildId}/${id}`,
          "aria-current": id === tab ? "page" : undefined,
        }, label)
      ),
    ),
    panel,
  );
  ts ??= new TypeScriptClient(`${assetBase}/ts_worker.js`, `${assetBase}/types.json`);
  switch (tab) {
    case "editor":
      {
        const goToLine = await renderEditor(panel, guildId, ts, assets, () => {});
        if (pendingJump) goToLine(pendingJump.path, pendingJump.line);
        pendingJump = null;
      }
      // The checker starts once the editor is on screen (its first answers follow shortly).
      setTimeout(() => void ts?.start(), 0);
      return;
    case "deployments":
      return await renderDeployments(panel, guildId, () => void route());
    case "logs":
      if (projectPaths.size === 0) projectPaths = new Set(await liveFiles(guildId));
      cleanup = renderLogs(panel, guildId, (p) => projectPaths.has(p), (path, line) => {
        pendingJump = { path, line };
        location.hash = `#/guild/${guildId}/editor`;
      });
      return;
    case "kv":
      return await renderKv(panel, guildId);
    case "secrets":
      return await renderSecrets(panel, guildId);
    case "usage":
      return await renderUsage(panel, guildId);
    case "try":
      cleanup = await renderLocal(panel, guildId);
      return;
  }
}

async function route(): Promise<void> {
  cleanup?.();
  cleanup = null;
  const match = /^#\/guild\/(\d{17,20})\/(\w+)$/.exec(location.hash);
  try {
    if (match) {
      const files = JSON.parse(localStorage.getItem(`flora.draft.${match[1]}`) ?? "{}").files ?? {};
      projectPaths = new Set(Object.keys(files));
      await guildView(match[1], match[2]);
    } else await guildList();
  } catch (error) {
    showError(error);
  }
}

async function start(): Promise<void> {
  let me: Me;
  try {
    me = await api<Me>("GET", "/auth/me");
  } catch (error) {
    if (error instanceof ApiFailure && error.status === 401) return signIn();
    return showError(error);
  }
  setCsrfToken(me.csrfToken ?? "");
  const logout = async () => {
    await api("POST", "/auth/logout");
    location.hash = "";
    signIn();
  };
  fill(
    nav,
    h("span", {}, me.user ? `Signed in as ${me.user.username}` : "operator"),
    h("a", { href: "#/" }, "Servers"),
    h("button", { type: "button", onclick: () => void logout().catch(showError) }, "Sign out"),
  );
  addEventListener("hashchange", () => void route());
  await route();
}

void start();
