/**
 * A PATH for "a machine with only Node and npm" (what the README promises):
 * a folder of links to node, npm, npx, a shell and curl — no `deno`, no `flora`.
 *
 * @module
 */

const TOOLS = ["node", "npm", "npx", "sh", "curl"];

/** Makes the folder; the caller removes it. Throws if a tool is missing here. */
export async function nodeOnlyPath(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "flora-node-only-" });
  for (const tool of TOOLS) {
    const found = (Deno.env.get("PATH") ?? "").split(":")
      .map((d) => `${d}/${tool}`)
      .find((p) => {
        try {
          return Deno.statSync(p).isFile;
        } catch {
          return false;
        }
      });
    if (!found) throw new Error(`${tool} is not on PATH; the README's commands need Node and npm`);
    await Deno.symlink(await Deno.realPath(found), `${dir}/${tool}`);
  }
  return dir;
}

/** Runs one shell command line as printed, with `PATH` only `path`. */
export async function runAsPrinted(
  line: string,
  path: string,
  cwd: string | URL,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command("/bin/sh", {
    args: ["-c", line],
    cwd,
    clearEnv: true,
    env: {
      PATH: path,
      HOME: Deno.env.get("HOME") ?? "/tmp",
      NO_COLOR: "1",
      // The same Deno cache as this run: the commands must work offline.
      ...(Deno.env.get("DENO_DIR") ? { DENO_DIR: Deno.env.get("DENO_DIR")! } : {}),
      ...(Deno.env.get("XDG_CACHE_HOME")
        ? { XDG_CACHE_HOME: Deno.env.get("XDG_CACHE_HOME")! }
        : {}),
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}
