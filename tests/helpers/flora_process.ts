/**
 * Test helpers that run flora the way users do: the host as a real process
 * (`runtime/main.ts`) and the CLI as a subprocess.
 *
 * @module
 */

import { readRuntimeInfo, type RuntimeInfo } from "../../runtime/runtime_info.ts";

const ROOT = new URL("../../", import.meta.url);

/** A flora host running as a child process on a fresh data dir. */
export interface FloraProcess {
  dataDir: string;
  info: RuntimeInfo;
  /** The host process's id. */
  pid: number;
  /** Everything the host printed so far. */
  output(): string;
  /** Stops the host (SIGTERM) and removes the data dir (unless started with `keepDataDir`). */
  stop(): Promise<void>;
  /** Kills the host at once (SIGKILL), as a crash or power loss would. */
  kill(): Promise<void>;
}

export interface FloraProcessOptions {
  /** Environment for the host, on top of the test defaults. */
  env?: Record<string, string>;
  /** Reuse a data dir (e.g. to restart after a kill). */
  dataDir?: string;
  /** Leave the data dir in place on stop. */
  keepDataDir?: boolean;
}

/** Starts `runtime/main.ts` with test-speed settings and waits until it serves. */
export async function startFloraProcess(
  options: FloraProcessOptions = {},
): Promise<FloraProcess> {
  const env = options.env ?? {};
  const dataDir = options.dataDir ?? await Deno.makeTempDir({ prefix: "flora-e2e-" });
  // A restart on the same data dir must not read the previous run's file.
  await Deno.remove(`${dataDir}/runtime.json`).catch(() => {});
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "runtime/main.ts"],
    cwd: ROOT,
    env: {
      FLORA_DATA_DIR: dataDir,
      FLORA_API_PORT: "0",
      FLORA_EMULATOR_PORT: "0",
      FLORA_SANDBOX_PROCESSES: "2",
      // No identify limit to honour (the emulators these tests run: one bucket per shard, or
      // `--identify-interval=0`): a sharded start's next shard need not wait 5.3 s.
      FLORA_SHARD_SPAWN_DELAY_MS: "0",
      NO_COLOR: "1",
      ...env,
    },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const decoder = new TextDecoder();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });

  let info: RuntimeInfo | null = null;
  for (let i = 0; i < 600 && !info; i++) {
    if (exited) throw new Error(`flora exited during start:\n${text}`);
    if (text.includes("flora is running.")) info = await readRuntimeInfo(dataDir);
    if (!info) await new Promise((r) => setTimeout(r, 50));
  }
  if (!info) {
    child.kill("SIGKILL");
    await status;
    await pumps;
    throw new Error(`flora did not start within 30 s:\n${text}`);
  }
  const started = info;
  return {
    dataDir,
    info: started,
    pid: child.pid,
    output: () => text,
    async stop() {
      if (!exited) child.kill("SIGTERM");
      const timer = setTimeout(() => {
        if (!exited) child.kill("SIGKILL");
      }, 10_000);
      await status;
      clearTimeout(timer);
      await pumps;
      if (!options.keepDataDir) await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
    async kill() {
      if (!exited) child.kill("SIGKILL");
      await status;
      await pumps;
    },
  };
}

/** The result of one CLI run. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the flora CLI from source as a subprocess. */
export async function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "cli/main.ts", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: output.code,
    stdout: new TextDecoder().decode(output.stdout),
    stderr: new TextDecoder().decode(output.stderr),
  };
}

/** Writes a script to a temp dir and returns its path. */
export async function writeScript(dir: string, name: string, code: string): Promise<string> {
  const path = `${dir}/${name}`;
  await Deno.writeTextFile(path, code);
  return path;
}
