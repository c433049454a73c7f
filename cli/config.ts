/**
 * Where the CLI finds the API and its token, in this order: flags
 * (`--api`, `--token`), the environment (`FLORA_API_URL`, `FLORA_TOKEN`, or
 * a local flora named by `FLORA_DATA_DIR`), the config file
 * (`$FLORA_CONFIG`, else `~/.config/flora/config.json`, written by
 * `flora login`), then a local flora in `./.data` (not when `FLORA_DATA_DIR`
 * is set to the empty string: "no local flora", e.g. for scripts and tests).
 *
 * @module
 */

import { readRuntimeInfo } from "../runtime/runtime_info.ts";
import type { ApiTarget } from "../client/api_client.ts";
import { CliError, ExitCode } from "../client/exit_codes.ts";

export type { ApiTarget };

export interface TargetFlags {
  api?: string;
  token?: string;
}

/** What `flora login` saves. */
export interface CliConfig {
  apiUrl?: string;
  token?: string;
  /** Default guild for commands that take `--guild`. */
  guild?: string;
}

type Env = Record<string, string | undefined>;

/** The config file's path. */
export function configPath(env: Env = Deno.env.toObject()): string {
  if (env.FLORA_CONFIG) return env.FLORA_CONFIG;
  const base = env.XDG_CONFIG_HOME || `${env.HOME ?? env.USERPROFILE ?? "."}/.config`;
  return `${base}/flora/config.json`;
}

/** Reads the config file; a missing file is an empty config, a broken one an error. */
export async function readConfig(env: Env = Deno.env.toObject()): Promise<CliConfig> {
  const path = configPath(env);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return {};
    throw new CliError(ExitCode.Usage, `cannot read ${path}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CliError(
      ExitCode.Usage,
      `${path} is not valid JSON; fix it or delete it and run \`flora login\` again`,
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new CliError(ExitCode.Usage, `${path} must hold a JSON object`);
  }
  const config: CliConfig = {};
  for (const key of ["apiUrl", "token", "guild"] as const) {
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined) continue;
    if (typeof v !== "string") {
      throw new CliError(ExitCode.Usage, `${path}: ${key} must be a string`);
    }
    config[key] = v;
  }
  return config;
}

/** Merges `changes` into the config file (created with mode 0600: it holds a token). */
export async function writeConfig(changes: CliConfig, env: Env = Deno.env.toObject()) {
  const path = configPath(env);
  const current = await readConfig(env).catch(() => ({}));
  const next: Record<string, string | undefined> = { ...current, ...changes };
  for (const key of Object.keys(next)) if (next[key] === undefined) delete next[key];
  const dir = path.slice(0, path.lastIndexOf("/"));
  if (dir) await Deno.mkdir(dir, { recursive: true });
  const tmp = `${path}.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify(next, null, 2) + "\n", { mode: 0o600 });
  await Deno.rename(tmp, path);
  return path;
}

/**
 * The data dir of the checkout this CLI runs from: the installed `flora` (`deno task install`)
 * used in a bot project elsewhere still finds the flora `deno task start` runs there.
 */
const CHECKOUT_DATA_DIR = decodeURIComponent(new URL("../.data", import.meta.url).pathname);

/**
 * The last fallback: a flora started in the current folder (`./.data`), else in this CLI's own
 * checkout; none when `FLORA_DATA_DIR=""`.
 */
async function checkoutFlora(
  env: Env,
  checkoutDataDir: string,
): Promise<{ url?: string; token?: string }> {
  if (env.FLORA_DATA_DIR === "") return {};
  const here = await localFlora(".data");
  return here.url ? here : localFlora(checkoutDataDir);
}

/** Where a local flora is looked for last (tests point it elsewhere). */
export interface LocalFloraOptions {
  /** @default the `.data` of the checkout this CLI runs from */
  checkoutDataDir?: string;
}

async function localFlora(dataDir: string): Promise<{ url?: string; token?: string }> {
  const url = (await readRuntimeInfo(dataDir))?.apiUrl;
  let token: string | undefined;
  try {
    token = (await Deno.readTextFile(`${dataDir}/operator-token`)).trim() || undefined;
  } catch { /* not a local install */ }
  return { url, token };
}

/** Resolves the API URL alone (login needs no token yet). */
export async function resolveApiUrl(
  flags: TargetFlags,
  env: Env = Deno.env.toObject(),
  options: LocalFloraOptions = {},
) {
  const url = flags.api ?? env.FLORA_API_URL ??
    (env.FLORA_DATA_DIR ? (await localFlora(env.FLORA_DATA_DIR)).url : undefined) ??
    (await readConfig(env)).apiUrl ??
    (await checkoutFlora(env, options.checkoutDataDir ?? CHECKOUT_DATA_DIR)).url;
  if (!url) {
    throw new CliError(
      ExitCode.Usage,
      "no API to talk to: pass --api <url>, set FLORA_API_URL, or start a local flora in flora's " +
        "checkout with `deno task start` (`npx -y deno@2.9.6 task start` without deno on PATH)",
    );
  }
  try {
    new URL(url);
  } catch {
    throw new CliError(ExitCode.Usage, `the API URL ${JSON.stringify(url)} is not a valid URL`);
  }
  return url.replace(/\/+$/, "");
}

/** Resolves the API URL and token, or explains how to provide them. */
export async function resolveTarget(
  flags: TargetFlags,
  env: Env = Deno.env.toObject(),
  options: LocalFloraOptions = {},
): Promise<ApiTarget> {
  const layers: (() => Promise<{ url?: string; token?: string }>)[] = [
    () => Promise.resolve({ url: flags.api, token: flags.token }),
    () => Promise.resolve({ url: env.FLORA_API_URL, token: env.FLORA_TOKEN }),
    () => env.FLORA_DATA_DIR ? localFlora(env.FLORA_DATA_DIR) : Promise.resolve({}),
    async () => {
      const c = await readConfig(env);
      return { url: c.apiUrl, token: c.token };
    },
    () => checkoutFlora(env, options.checkoutDataDir ?? CHECKOUT_DATA_DIR),
  ];
  let url: string | undefined;
  let token: string | undefined;
  for (const layer of layers) {
    if (url && token) break;
    const found = await layer();
    url ??= found.url || undefined;
    token ??= found.token || undefined;
  }
  if (!url) {
    throw new CliError(
      ExitCode.Usage,
      "no API to talk to: pass --api <url>, set FLORA_API_URL, run `flora login --api <url>`, " +
        "or start a local flora in flora's checkout with `deno task start` " +
        "(`npx -y deno@2.9.6 task start` without deno on PATH)",
    );
  }
  if (!token) {
    throw new CliError(
      ExitCode.Auth,
      "no API token: run `flora login`, pass --token <token> or set FLORA_TOKEN",
    );
  }
  try {
    new URL(url);
  } catch {
    throw new CliError(ExitCode.Usage, `the API URL ${JSON.stringify(url)} is not a valid URL`);
  }
  return { url: url.replace(/\/+$/, ""), token };
}

/** The guild to act on: `--guild`, then `FLORA_GUILD`, then the config file. */
export async function resolveGuild(flag: string | undefined, env: Env = Deno.env.toObject()) {
  const guild = flag ?? env.FLORA_GUILD ?? (await readConfig(env)).guild;
  if (!guild || !/^\d{17,20}$/.test(guild)) {
    throw new CliError(
      ExitCode.Usage,
      guild
        ? `guild ${JSON.stringify(guild)} is not a Discord id (17-20 digits)`
        : "--guild <id> is required: the guild's Discord id (17-20 digits); `flora list` shows yours",
    );
  }
  return guild;
}
