/**
 * `flora login`, `flora logout`, `flora whoami`.
 *
 * Browser login: the CLI listens on a loopback port, opens (or prints) the
 * API's `/auth/login` URL, and the API sends the browser back to that port
 * after Discord with a one-time code, which the CLI trades for an API token
 * and saves in the config file.
 *
 * @module
 */

import { request } from "../../client/api_client.ts";
import { COMMON_HELP, parse } from "../args.ts";
import type { Command } from "../command.ts";
import { configPath, readConfig, resolveApiUrl, resolveTarget, writeConfig } from "../config.ts";
import { CliError, ExitCode } from "../../client/exit_codes.ts";

interface Me {
  kind: "operator" | "user";
  user?: { id: string; username: string };
  via?: string;
  tokenId?: string;
}

function describeMe(me: Me): string {
  return me.kind === "operator" ? "the operator" : `${me.user!.username} (${me.user!.id})`;
}

const PAGE = (title: string, text: string) =>
  `<!doctype html><meta charset="utf-8"><title>${title}</title>` +
  `<body style="font:16px system-ui;margin:3rem"><h1>${title}</h1><p>${text}</p></body>`;

/** Opens a URL in the default browser; false when there is no way to. */
async function openBrowser(url: string): Promise<boolean> {
  const command = Deno.build.os === "darwin"
    ? ["open", url]
    : Deno.build.os === "windows"
    ? ["cmd", "/c", "start", "", url]
    : ["xdg-open", url];
  try {
    const child = new Deno.Command(command[0], {
      args: command.slice(1),
      stdout: "null",
      stderr: "null",
    }).spawn();
    return (await child.status).success;
  } catch {
    return false;
  }
}

/** Waits for the browser to come back to the loopback server with a code. */
async function loopbackLogin(
  apiUrl: string,
  options: { openBrowser: boolean; timeoutMs: number },
  progress: (text: string) => void,
): Promise<string> {
  const state = crypto.randomUUID().replaceAll("-", "");
  const result = Promise.withResolvers<string>();
  const listening = Promise.withResolvers<number>();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: (addr) => listening.resolve(addr.port),
  }, (req) => {
    const url = new URL(req.url);
    if (url.pathname !== "/callback") return new Response("not found", { status: 404 });
    const code = url.searchParams.get("code");
    if (url.searchParams.get("state") !== state || !code) {
      return new Response(PAGE("Login failed", "This link does not belong to this login."), {
        status: 400,
        headers: { "content-type": "text/html; charset=utf-8" },
      });
    }
    result.resolve(code);
    return new Response(PAGE("Logged in", "You can close this tab and return to the terminal."), {
      headers: { "content-type": "text/html; charset=utf-8" },
    });
  });
  const timer = setTimeout(
    () =>
      result.reject(
        new CliError(ExitCode.Auth, `no login within ${options.timeoutMs / 1000} s; try again`),
      ),
    options.timeoutMs,
  );
  try {
    const port = await listening.promise;
    const url = `${apiUrl}/auth/login?cli_port=${port}&cli_state=${state}`;
    progress(`Open this URL to log in with Discord:\n\n  ${url}\n`);
    if (options.openBrowser) await openBrowser(url);
    progress("Waiting for the browser…");
    return await result.promise;
  } finally {
    clearTimeout(timer);
    await server.shutdown();
  }
}

export const login: Command = {
  summary: "log in with Discord (browser) or save an API token",
  help: `Usage: flora login [options]

Logs you in and saves the API URL and a new API token in the config file
(${"$"}FLORA_CONFIG, default ~/.config/flora/config.json, mode 0600).

Without --token: opens the API's Discord login in your browser; after you
approve, the browser returns to a port on 127.0.0.1 that this command listens
on, and the CLI receives a token for you.

Options:
  --token <tok>      Save this API token instead (checked against the API first)
  --no-browser       Only print the login URL (e.g. over SSH: open it elsewhere,
                     then this machine's 127.0.0.1 must be the browser's)
  --name <label>     Label of the new token (default: "flora login on <host>")
  --timeout <s>      How long to wait for the browser (default 300)
  --guild <id>       Also save a default guild for later commands
  --api <url>        flora API URL (default: $FLORA_API_URL, config file, local flora)
  --json             Print the result as JSON (for scripts)
  -h, --help         Show this help

Exit codes: 0 logged in, 2 usage, 3 API error, 5 login refused or timed out.`,
  async run(argv, out) {
    const { values } = parse(argv, {
      "no-browser": { type: "boolean", default: false },
      name: { type: "string" },
      timeout: { type: "string", default: "300" },
      guild: { type: "string" },
    });
    if (values.help) {
      out.info(this.help);
      return ExitCode.Ok;
    }
    const timeout = Number(values.timeout);
    if (!Number.isFinite(timeout) || timeout <= 0) {
      throw new CliError(ExitCode.Usage, "--timeout must be a positive number of seconds");
    }
    if (values.guild !== undefined && !/^\d{17,20}$/.test(values.guild)) {
      throw new CliError(ExitCode.Usage, "--guild must be a Discord id (17-20 digits)");
    }
    const apiUrl = await resolveApiUrl({ api: values.api });
    let token = values.token;
    if (!token) {
      const code = await loopbackLogin(apiUrl, {
        openBrowser: !values["no-browser"],
        timeoutMs: timeout * 1000,
      }, out.progress);
      const { body } = await request<{ token: string }>(
        { url: apiUrl, token: "" },
        "POST",
        "/auth/cli/exchange",
        { code, name: values.name ?? `flora login on ${Deno.hostname()}` },
        { accept: [] },
      );
      token = body.token;
    }
    const { body: me } = await request<Me>({ url: apiUrl, token }, "GET", "/auth/me", undefined, {
      accept: [],
    });
    const path = await writeConfig({
      apiUrl,
      token,
      ...(values.guild ? { guild: values.guild } : {}),
    });
    if (values.json) out.json({ ...me, apiUrl, config: path });
    else out.info(`Logged in to ${apiUrl} as ${describeMe(me)}. Saved in ${path}.`);
    return ExitCode.Ok;
  },
};

export const logout: Command = {
  summary: "revoke the saved API token and forget it",
  help: `Usage: flora logout [options]

Revokes the token saved by \`flora login\` and removes it from the config file.

Options:
${COMMON_HELP}

Exit codes: 0 logged out, 3 API error, 5 the token was already invalid (it is forgotten anyway).`,
  async run(argv, out) {
    const { values } = parse(argv, {});
    if (values.help) {
      out.info(this.help);
      return ExitCode.Ok;
    }
    const config = await readConfig();
    const token = values.token ?? config.token;
    if (!token) throw new CliError(ExitCode.Usage, "not logged in: no token in " + configPath());
    const url = await resolveApiUrl({ api: values.api });
    try {
      await request({ url, token }, "POST", "/auth/logout", undefined, { accept: [] });
    } finally {
      if (!values.token || values.token === config.token) await writeConfig({ token: undefined });
    }
    if (values.json) out.json({ loggedOut: true });
    else out.info("Logged out; the token is revoked.");
    return ExitCode.Ok;
  },
};

export const whoami: Command = {
  summary: "show who the API token belongs to",
  help: `Usage: flora whoami [options]

Options:
${COMMON_HELP}

Exit codes: 0 ok, 3 API error, 5 no valid token.`,
  async run(argv, out) {
    const { values } = parse(argv, {});
    if (values.help) {
      out.info(this.help);
      return ExitCode.Ok;
    }
    const target = await resolveTarget({ api: values.api, token: values.token });
    const { body } = await request<Me>(target, "GET", "/auth/me", undefined, { accept: [] });
    if (values.json) out.json({ ...body, apiUrl: target.url });
    else out.info(`${describeMe(body)} at ${target.url}`);
    return ExitCode.Ok;
  },
};
