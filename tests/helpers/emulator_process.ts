/**
 * A standalone emulator (`deno task emulator`) as a child process, the way
 * several flora nodes share one: its printed REST base, control URL, token and
 * seeded world, read from its start-up output.
 *
 * @module
 */

const ROOT = new URL("../../", import.meta.url);

/** What `emulator/main.ts` printed, and how to stop it. */
export interface EmulatorProcess {
  /** REST base without `/v10`, as `DISCORD_API_URL` takes it. */
  restBase: string;
  controlUrl: string;
  token: string;
  guilds: { name: string; id: string; general: string }[];
  users: { admin: string; member: string };
  stop(): Promise<void>;
}

/** Starts `emulator/main.ts` on a free port and waits for its banner. */
export async function startEmulatorProcess(flags: string[] = []): Promise<EmulatorProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    // Several hosts identify their shards at once against this one emulator (unless `flags`,
    // which come first and so win, set an identify interval).
    args: [
      "run",
      "--unstable-kv",
      "-A",
      "emulator/main.ts",
      ...flags,
      "--port=0",
      "--identify-interval=0",
    ],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const stop = async () => {
    child.kill("SIGTERM");
    await reader.cancel().catch(() => {});
    await child.status;
  };
  while (!/^ {2}users .*\n/m.test(text) || !text.includes("#general=")) {
    const { value, done } = await reader.read();
    if (done) {
      await child.status;
      throw new Error(`emulator exited during start:\n${text}`);
    }
    text += value;
  }
  // Keep draining stdout so the emulator never blocks on a full pipe.
  (async () => {
    while (!(await reader.read().catch(() => ({ done: true }))).done) { /* discard */ }
  })();
  const field = (name: string) => {
    const match = new RegExp(`^ {2}${name} +(\\S+)`, "m").exec(text);
    if (!match) throw new Error(`emulator banner has no ${name} line:\n${text}`);
    return match[1];
  };
  const users = /admin \S+=(\d+) +member \S+=(\d+)/.exec(text);
  const guilds = [...text.matchAll(/^ {2}guild +(.+?)=(\d+) +#general=(\d+)/gm)].map((m) => ({
    name: m[1],
    id: m[2],
    general: m[3],
  }));
  if (!users || guilds.length === 0) throw new Error(`emulator banner has no world:\n${text}`);
  return {
    restBase: field("REST").replace(/\/v10$/, ""),
    controlUrl: field("control"),
    token: field("token"),
    guilds,
    users: { admin: users[1], member: users[2] },
    stop,
  };
}
