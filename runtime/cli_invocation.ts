/**
 * How to run this checkout's flora CLI from the user's shell, as printed by
 * `deno task start`'s banner and `deno task install`. The README promises only
 * Node and npm: a command that needs `deno` on PATH must not be printed to a
 * user who started flora through `npx`.
 *
 * @module
 */

/** The Deno version the README's `npx -y deno@…` commands pin. */
export const DENO_VERSION = "2.9.6";

/** Runs Deno from npm: works on any machine with Node and npm. */
export const NPX_DENO = `npx -y deno@${DENO_VERSION}`;

/** Whether an executable named `name` is in one of `PATH`'s folders. */
export function onPath(name: string, path: string | undefined): boolean {
  for (const dir of (path ?? "").split(":")) {
    if (!dir) continue;
    try {
      const info = Deno.statSync(`${dir}/${name}`);
      if (info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0) return true;
    } catch { /* not there */ }
  }
  return false;
}

/**
 * The command prefix that runs the flora CLI: `flora` once `deno task install` put it on
 * PATH, else `deno task flora` where `deno` is the user's own, else the `npx` form.
 *
 * @example
 * ```ts
 * const flora = floraCommand(Deno.env.toObject());
 * console.log(`${flora} deploy --guild 123 examples/ping.ts`);
 * ```
 */
export function floraCommand(env: Record<string, string | undefined>): string {
  if (onPath("flora", env.PATH)) return "flora";
  // npx puts its own Deno first on PATH: `deno` there says nothing about the user's shell.
  const viaNpx = env.npm_lifecycle_event === "npx" || env.npm_command === "exec";
  if (!viaNpx && onPath("deno", env.PATH)) return "deno task flora";
  return `${NPX_DENO} task flora`;
}

/**
 * The command that installs `flora` (`cli/install.ts`) in the form {@linkcode floraCommand}
 * chose; undefined when `flora` is installed already.
 */
export function installCommand(env: Record<string, string | undefined>): string | undefined {
  const flora = floraCommand(env);
  return flora === "flora" ? undefined : flora.replace(/ flora$/, " install");
}
