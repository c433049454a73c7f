/**
 * `deno task compile`: builds the CLI into one binary (`dist/flora`) with
 * `deno compile` — after checking that it can work. `deno compile` needs
 * Deno's runtime, `denort`, which it downloads from dl.deno.land on first use;
 * offline, it fails deep inside Deno with a backtrace and leaves an empty
 * `dist/`. This checks first and says in one line why not and what to use.
 *
 * @module
 */

const ROOT = new URL("../", import.meta.url);
const OUTPUT = "dist/flora";
const RELEASE = `release/v${Deno.version.deno}/denort-${Deno.build.target}.zip`;

/** The denort download of this Deno: where Deno caches it and where it fetches it from. */
async function denort(): Promise<{ cached: string; url: string }> {
  const info = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"], stderr: "null" })
    .output();
  const denoDir = info.success
    ? JSON.parse(new TextDecoder().decode(info.stdout)).denoDir as string
    : undefined;
  return {
    cached: `${denoDir ?? "<DENO_DIR>"}/dl/${RELEASE}`,
    url: `https://dl.deno.land/${RELEASE}`,
  };
}

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** Why `deno compile` cannot run here, or null when it can. */
async function blocker(env: Record<string, string | undefined>): Promise<string | null> {
  if (env.DENORT_BIN) {
    return exists(env.DENORT_BIN)
      ? null
      : `DENORT_BIN names ${env.DENORT_BIN}, which is not a file`;
  }
  const { cached, url } = await denort();
  if (exists(cached)) return null;
  try {
    const response = await fetch(url, { method: "HEAD", signal: AbortSignal.timeout(5_000) });
    await response.body?.cancel();
    if (response.ok) return null;
    return `${url} answered ${response.status}`;
  } catch (error) {
    // The innermost reason, e.g. "Name or service not known".
    const inner = error instanceof Error ? (error.cause as Error | undefined) ?? error : error;
    const reason = String(inner instanceof Error ? inner.message : inner).split(": ").at(-1);
    return `it needs Deno's runtime (denort ${Deno.version.deno}), which is not cached and ` +
      `cannot be downloaded from dl.deno.land here (${reason})`;
  }
}

async function main(args: string[]): Promise<number> {
  const shown = args[0] ?? OUTPUT;
  const output = decodeURIComponent(new URL(shown, ROOT).pathname);
  const why = await blocker(Deno.env.toObject());
  if (why) {
    console.error(
      `flora compile: cannot build ${shown}: ${why}; use \`deno task install\` for a \`flora\` ` +
        "command instead, or set DENORT_BIN to a denort binary of this Deno version",
    );
    return 1;
  }
  const dir = output.slice(0, output.lastIndexOf("/"));
  const dirExisted = (await Deno.stat(dir).catch(() => null)) !== null;
  const compile = await new Deno.Command(Deno.execPath(), {
    args: [
      "compile",
      "--unstable-bundle",
      "-A",
      "--include",
      "sdk",
      "--include",
      "runtime/sandbox/protocol",
      "--output",
      output,
      "cli/main.ts",
    ],
    cwd: ROOT,
  }).output();
  if (!compile.success && !dirExisted) {
    // deno compile creates the folder before it fails: leave nothing behind.
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  return compile.code;
}

Deno.exit(await main(Deno.args));
