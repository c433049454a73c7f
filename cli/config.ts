/**
 * Where the CLI finds the API and its token: flags, then the environment
 * (`FLORA_API_URL`, `FLORA_TOKEN`), then a local flora's data dir.
 *
 * @module
 */

import { readRuntimeInfo } from "../runtime/runtime_info.ts";
import { CliError, ExitCode } from "./exit_codes.ts";

export interface ApiTarget {
  url: string;
  token: string;
}

export interface TargetFlags {
  api?: string;
  token?: string;
}

/** Resolves the API URL and token, or explains how to provide them. */
export async function resolveTarget(
  flags: TargetFlags,
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Promise<ApiTarget> {
  const dataDir = env.FLORA_DATA_DIR || ".data";
  let url = flags.api ?? env.FLORA_API_URL;
  let token = flags.token ?? env.FLORA_TOKEN;
  if (!url) url = (await readRuntimeInfo(dataDir))?.apiUrl;
  if (!token) {
    try {
      token = (await Deno.readTextFile(`${dataDir}/operator-token`)).trim();
    } catch { /* not a local install */ }
  }
  if (!url) {
    throw new CliError(
      ExitCode.Usage,
      "no API to talk to: pass --api <url>, set FLORA_API_URL, or start a local flora with `deno task start`",
    );
  }
  if (!token) {
    throw new CliError(ExitCode.Usage, "no API token: pass --token <token> or set FLORA_TOKEN");
  }
  try {
    new URL(url);
  } catch {
    throw new CliError(ExitCode.Usage, `the API URL ${JSON.stringify(url)} is not a valid URL`);
  }
  return { url: url.replace(/\/+$/, ""), token };
}
