/**
 * `deno task install`: puts this checkout's CLI on the machine as `flora`,
 * with `deno install`. Works offline once the checkout's dependencies are
 * cached (any `task start` or `task test` did that).
 *
 * `deno install` writes a shell script that runs `exec deno …`, which fails
 * where Deno came from npm (`npx -y deno@…`) and `deno` is not on PATH; the
 * script is pointed at the Deno binary running this installer instead.
 *
 * @module
 */

const ROOT = new URL("../", import.meta.url);

function fromFileUrl(url: URL): string {
  return decodeURIComponent(url.pathname);
}

/** Where `deno install -g` puts binaries: `$DENO_INSTALL_ROOT/bin`, else `~/.deno/bin`. */
function installRoot(env: Record<string, string | undefined>): string {
  if (env.DENO_INSTALL_ROOT) return env.DENO_INSTALL_ROOT;
  if (!env.HOME) throw new Error("set HOME or DENO_INSTALL_ROOT: there is nowhere to install to");
  return `${env.HOME}/.deno`;
}

function quote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

async function main(): Promise<number> {
  const env = Deno.env.toObject();
  const root = installRoot(env);
  const checkout = fromFileUrl(ROOT).replace(/\/$/, "");
  const deno = Deno.execPath();
  const install = await new Deno.Command(deno, {
    args: [
      "install",
      "--global",
      "--force",
      "--quiet",
      "--allow-all",
      "--unstable-bundle",
      "--config",
      `${checkout}/deno.json`,
      "--root",
      root,
      "--name",
      "flora",
      `${checkout}/cli/main.ts`,
    ],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!install.success) {
    console.error("flora install: deno install failed (above)");
    return 1;
  }
  const shim = `${root}/bin/flora`;
  const script = await Deno.readTextFile(shim);
  const pinned = script.replace(/^exec deno /m, `exec ${quote(deno)} `);
  if (pinned === script && !script.includes(deno)) {
    console.error(`flora install: ${shim} does not look like deno install's script; left as is`);
    return 1;
  }
  await Deno.writeTextFile(shim, pinned);
  console.log(
    [
      `Installed flora: ${shim}`,
      `  runs ${checkout}/cli/main.ts with ${deno}`,
      "",
      "If `flora` is not found, add its folder to PATH (e.g. in ~/.profile):",
      `  export PATH="${root}/bin:$PATH"`,
      "",
      "Then, from any folder:",
      "  flora --help",
      "  flora deploy --guild <guild id> main.ts",
      "Run this task again after moving the checkout or upgrading Deno.",
    ].join("\n"),
  );
  return 0;
}

Deno.exit(await main());
