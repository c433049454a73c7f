/**
 * Test helpers for the API: a flora started in this process (real storage,
 * sandboxes, emulator and API), and logging in the way a browser and
 * `flora login` do — through the emulator's Discord OAuth2 pages.
 *
 * @module
 */

import { loadConfig } from "../../runtime/config.ts";
import { type Flora, startFlora } from "../../runtime/flora.ts";
import type { SeededWorld } from "../../emulator/mod.ts";

/** A flora for API tests. */
export interface ApiFlora {
  flora: Flora;
  api: string;
  world: SeededWorld;
  operator: string;
  dataDir: string;
  /** Calls the API with an optional bearer token. */
  call(path: string, init?: RequestInit & { token?: string }): Promise<Response>;
  close(): Promise<void>;
}

/** Starts flora in-process on a fresh data dir with the built-in emulator. */
export async function startApiFlora(env: Record<string, string> = {}): Promise<ApiFlora> {
  const dataDir = await Deno.makeTempDir({ prefix: "flora-api-" });
  const config = loadConfig({
    FLORA_DATA_DIR: dataDir,
    FLORA_API_PORT: "0",
    FLORA_EMULATOR_PORT: "0",
    FLORA_SANDBOX_PROCESSES: "1",
    ...env,
  });
  const flora = await startFlora(config, {
    emulatorHeartbeatMs: 30_000,
    emulatorIdentifyIntervalMs: 0,
    spawnShardDelay: 0,
    env,
  });
  return {
    flora,
    api: flora.apiUrl,
    world: flora.emulator!.seeded!,
    operator: flora.operatorToken,
    dataDir,
    call(path, init = {}) {
      const { token, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (token) headers.set("authorization", `Bearer ${token}`);
      return fetch(`${flora.apiUrl}${path}`, { ...rest, headers });
    },
    async close() {
      await flora.close();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
}

function cookiesOf(response: Response): string {
  return response.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
}

/**
 * Plays the browser through `/auth/login?cli_port…`: Discord's (emulated)
 * authorize page as `userId`, then the API's callback. Resolves to the URL
 * the API sends the browser to (the CLI's loopback callback).
 */
export async function browserLogin(loginUrl: string, userId: string): Promise<URL> {
  const start = await fetch(loginUrl, { redirect: "manual" });
  await start.body?.cancel();
  if (start.status !== 302) throw new Error(`/auth/login answered ${start.status}`);
  const cookie = cookiesOf(start);
  const authorize = new URL(start.headers.get("location")!);
  const page = await fetch(authorize);
  const html = await page.text();
  if (!html.includes(userId)) throw new Error(`the authorize page does not offer ${userId}`);
  const form = new URLSearchParams(authorize.searchParams);
  form.set("user_id", userId);
  const approved = await fetch(authorize, { method: "POST", body: form, redirect: "manual" });
  await approved.body?.cancel();
  if (approved.status !== 302) throw new Error(`authorize answered ${approved.status}`);
  const callback = await fetch(approved.headers.get("location")!, {
    headers: { cookie },
    redirect: "manual",
  });
  const text = await callback.text();
  if (callback.status !== 302) throw new Error(`callback answered ${callback.status}: ${text}`);
  return new URL(callback.headers.get("location")!);
}

/** Logs `userId` in as `flora login` would and returns their new API token. */
export async function loginAs(h: ApiFlora, userId: string): Promise<string> {
  const state = crypto.randomUUID();
  const target = await browserLogin(
    `${h.api}/auth/login?cli_port=45678&cli_state=${state}`,
    userId,
  );
  if (target.searchParams.get("state") !== state) throw new Error("state was not passed back");
  const response = await h.call("/auth/cli/exchange", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ code: target.searchParams.get("code") }),
  });
  const body = await response.json();
  if (response.status !== 201) throw new Error(`exchange: ${JSON.stringify(body)}`);
  return body.token;
}
