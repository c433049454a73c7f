/**
 * The Discord emulator in its own process (`emulator/main.ts`), so the
 * events it produces do not share a thread with the bot being measured.
 *
 * @module
 */

import { EmulatorClient } from "../emulator/client.ts";

const MAIN = new URL("../emulator/main.ts", import.meta.url);

/** A running emulator child process. */
export interface EmulatorProcess {
  url: string;
  restBase: string;
  token: string;
  pid: number;
  client: EmulatorClient;
  close(): Promise<void>;
}

/**
 * Starts the emulator on a free port and reads its address and token from its banner.
 * `denoFlags` go before the script (e.g. `--cpu-prof`).
 */
export async function startEmulatorProcess(denoFlags: string[] = []): Promise<EmulatorProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      ...denoFlags,
      MAIN.href,
      "--port=0",
      "--heartbeat=30000",
      "--identify-interval=0",
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!/token\s+\S+/.test(text) || !/gateway\s+ws:\/\/\S+/.test(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the emulator exited during start:\n${text}`);
    text += value;
  }
  // Keep draining its output so it never blocks on a full pipe.
  (async () => {
    while (!(await reader.read()).done) { /* discard */ }
  })().catch(() => {});
  const port = /ws:\/\/127\.0\.0\.1:(\d+)/.exec(text)![1];
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    restBase: `${url}/api`,
    token: /token\s+(\S+)/.exec(text)![1],
    pid: child.pid,
    client: new EmulatorClient(url),
    async close() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}
