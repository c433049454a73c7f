/**
 * A cluster gateway node (`FLORA_ROLE=gateway`) as a child process: it has no
 * API, so it is ready once it prints its start line.
 *
 * @module
 */

const ROOT = new URL("../../", import.meta.url);

/** A running gateway node. */
export interface GatewayProcess {
  pid: number;
  /** Everything it printed so far. */
  output(): string;
  /** Stops it (SIGTERM: it hands its shards over). */
  stop(): Promise<void>;
  /** Kills it at once (SIGKILL), as a crash would. */
  kill(): Promise<void>;
}

/** Starts `runtime/main.ts` as a gateway node and waits until it runs. */
export async function startGatewayProcess(env: Record<string, string>): Promise<GatewayProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "runtime/main.ts"],
    cwd: ROOT,
    env: { NO_COLOR: "1", FLORA_ROLE: "gateway", ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  let exited = false;
  const decoder = new TextDecoder();
  const pumps = Promise.all([child.stdout, child.stderr].map(async (stream) => {
    for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
  }));
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  for (let i = 0; !text.includes("flora gateway node"); i++) {
    if (exited || i > 600) {
      if (!exited) child.kill("SIGKILL");
      await status;
      await pumps;
      throw new Error(`gateway node did not start:\n${text}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const end = async (signal: Deno.Signal) => {
    if (!exited) child.kill(signal);
    await status;
    await pumps;
  };
  return {
    pid: child.pid,
    output: () => text,
    stop: () => end("SIGTERM"),
    kill: () => end("SIGKILL"),
  };
}
