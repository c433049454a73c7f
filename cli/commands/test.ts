/**
 * `flora test [files…] [-- deno test options]`: runs a bot project's tests
 * with this flora's test kit. The project's `deno.json` names no flora
 * checkout: `flora/testing` (and the npm packages flora's modules import) are
 * mapped here, at run time, in an import map under `.flora/`, so the project
 * works wherever it is moved and with whichever flora is installed.
 *
 * @module
 */

import type { Command } from "../command.ts";
import { CliError, ExitCode } from "../../client/exit_codes.ts";
import { errorMessage } from "../../shared/error_message.ts";

/** Where the generated import map goes, inside the project. */
const IMPORT_MAP = ".flora/import_map.json";

/** A compiled flora has no sources for the kit to run from. */
function compiled(): boolean {
  return Deno.mainModule.includes("/deno-compile-");
}

/** The project's own imports, with addresses relative to `deno.json` made absolute. */
function projectImports(config: { imports?: Record<string, string> }, dir: URL) {
  const imports: Record<string, string> = {};
  for (const [name, address] of Object.entries(config.imports ?? {})) {
    imports[name] = /^\.\.?\//.test(address) ? new URL(address, dir).href : address;
  }
  return imports;
}

/**
 * `name/` entries beside each `npm:` one: deno.json maps a package's subpaths (`pkg/zod`) by
 * itself, a plain import map does not.
 */
function withSubpaths(imports: Record<string, string>): Record<string, string> {
  const all = { ...imports };
  for (const [name, address] of Object.entries(imports)) {
    const npm = /^npm:([^/].*)$/.exec(address);
    if (npm && !name.endsWith("/") && !(`${name}/` in all)) all[`${name}/`] = `npm:/${npm[1]}/`;
  }
  return all;
}

/**
 * Writes the project's import map: the test kit's imports, then the project's own (which win,
 * so a project may pin its own `flora/testing`). Returns the map's path.
 */
export async function writeTestImportMap(projectDir: string): Promise<string> {
  const dir = new URL(`file://${await Deno.realPath(projectDir)}/`);
  let config: { imports?: Record<string, string> };
  try {
    config = JSON.parse(await Deno.readTextFile(new URL("deno.json", dir)));
  } catch (error) {
    throw new CliError(
      ExitCode.Usage,
      error instanceof Deno.errors.NotFound
        ? `no deno.json in ${projectDir}: run flora test in a project (flora init makes one)`
        : `${projectDir}/deno.json is not valid JSON: ${errorMessage(error)}`,
    );
  }
  const kit = await import("../../testing/scaffold.ts");
  const { imports } = await kit.testKitDenoConfig();
  const map = { imports: { ...withSubpaths(imports), ...projectImports(config, dir) } };
  const path = `${dir.pathname}${IMPORT_MAP}`;
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  await Deno.writeTextFile(path, JSON.stringify(map, null, 2) + "\n");
  return path;
}

export const test: Command = {
  summary: "run a bot project's tests with flora's test kit (flora/testing)",
  help: `Usage: flora test [files…] [deno test options]

Runs deno test in the current project (a folder with deno.json, e.g. made by
flora init) with flora's test kit: imports of "flora/testing" resolve to this
flora's kit, wherever the project is. The map is written to ${IMPORT_MAP}
(regenerated on every run; the project's own "imports" are kept and win).

Every argument is passed to deno test, after -A --no-check (the scaffold's
check_test.ts type-checks main.ts; type-checking flora's runtime again from
the project would take long). Pass --check to type-check everything anyway.

Exit codes: deno test's (0 all passed, 1 a test failed), 2 usage.`,
  async run(argv, out) {
    if (argv.includes("--help") || argv.includes("-h")) {
      out.info(this.help);
      return ExitCode.Ok;
    }
    if (compiled()) {
      throw new CliError(
        ExitCode.Usage,
        "a compiled flora carries no test kit; use the flora that `deno task install` puts on PATH",
      );
    }
    const importMap = await writeTestImportMap(".");
    const check = argv.includes("--check");
    const run = await new Deno.Command(Deno.execPath(), {
      args: [
        "test",
        "-A",
        ...(check ? [] : ["--no-check"]),
        "--unstable-kv",
        "--unstable-bundle",
        "--unstable-worker-options",
        "--import-map",
        importMap,
        ...argv.filter((a) => a !== "--check"),
      ],
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    return run.code;
  },
};
