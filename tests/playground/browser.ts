/**
 * Headless Chromium for the playground's browser tests: Debian's `chromium`
 * driven by `playwright-core`. Without the browser the tests are ignored, and
 * their name says how to install it — except in CI (`CI=true`), where a
 * missing browser fails.
 *
 * @module
 */

import { type BrowserContext, chromium } from "playwright-core";

/** Debian's Chromium; `FLORA_CHROMIUM` names another Chromium or Chrome binary. */
export const CHROMIUM = Deno.env.get("FLORA_CHROMIUM") || "/usr/bin/chromium";

/** How to get a browser, said wherever one is missing. */
const INSTALL = "install it (Debian/Ubuntu: sudo apt-get install -y chromium; .ci/run does) " +
  "or set FLORA_CHROMIUM to a Chromium or Chrome binary";

/** Whether the browser tests run, and the note their name carries when they do not. */
export interface BrowserGate {
  ignore: boolean;
  /** Appended to the test's name: the ignored line itself says how to install the browser. */
  note: string;
}

/**
 * Decides whether the browser tests run: with the browser, yes; without it, they are ignored
 * with a note that says how to install it, except in CI (`CI=true`), where that throws.
 *
 * @example
 * ```ts
 * const gate = browserGate(Deno.env.toObject());
 * Deno.test({ name: `the playground works${gate.note}`, ignore: gate.ignore, fn });
 * ```
 */
export function browserGate(
  env: Record<string, string | undefined>,
  path: string = CHROMIUM,
): BrowserGate {
  let found = false;
  try {
    found = Deno.statSync(path).isFile;
  } catch { /* absent */ }
  if (found) return { ignore: false, note: "" };
  if (env.CI === "true") {
    throw new Error(
      `no Chromium at ${path}: the playground's browser tests must run in CI; ${INSTALL}`,
    );
  }
  return { ignore: true, note: ` (ignored: no Chromium at ${path}; ${INSTALL})` };
}

/** A browser with a fresh profile; `close()` removes the profile. */
export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Launches headless Chromium with a fresh user data dir. */
export async function launchBrowser(): Promise<Browser> {
  const profile = await Deno.makeTempDir({ prefix: "flora-chromium-" });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 860 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}
