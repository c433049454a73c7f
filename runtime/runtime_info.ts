/**
 * `runtime.json` in the data dir: where a local flora is listening, so the
 * CLI on the same machine finds it without configuration.
 *
 * @module
 */

/** What a running local flora publishes about itself. */
export interface RuntimeInfo {
  apiUrl: string;
  emulatorUrl?: string;
  pid: number;
}

/** Writes the runtime info atomically (write then rename). */
export async function writeRuntimeInfo(dataDir: string, info: RuntimeInfo): Promise<void> {
  const tmp = `${dataDir}/runtime.json.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify(info, null, 2) + "\n");
  await Deno.rename(tmp, `${dataDir}/runtime.json`);
}

/** Reads the runtime info, or null when no local flora has written one. */
export async function readRuntimeInfo(dataDir: string): Promise<RuntimeInfo | null> {
  try {
    const info = JSON.parse(await Deno.readTextFile(`${dataDir}/runtime.json`));
    return typeof info?.apiUrl === "string" ? info as RuntimeInfo : null;
  } catch {
    return null;
  }
}
