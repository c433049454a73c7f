/**
 * Headless Chromium for the playground's browser tests: Debian's `chromium`
 * driven by `playwright-core`. Without the browser the tests are skipped
 * with a message — except in CI (`CI=true`), where a missing browser fails.
 *
 * @module
 */

import { type BrowserContext, chromium } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

/** Whether the browser is installed; in CI its absence throws. */
export function chromiumAvailable(): boolean {
  let found = false;
  try {
    found = Deno.statSync(CHROMIUM).isFile;
  } catch { /* absent */ }
  if (!found && Deno.env.get("CI") === "true") {
    throw new Error(`${CHROMIUM} is missing; CI must install it (apt-get install -y chromium)`);
  }
  if (!found) {
    console.warn(
      `skipping the playground browser tests: ${CHROMIUM} is missing (apt-get install -y chromium)`,
    );
  }
  return found;
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
