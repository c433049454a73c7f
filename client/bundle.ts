/**
 * Turns a script into what flora deploys: type-checked against the SDK's
 * globals, then bundled with its local imports into one ES module with a
 * source map. Errors name the author's file and line; nothing is uploaded.
 *
 * @module
 */

import { checkBundleSize } from "./bundle_size.ts";
import { lexerReady, sealScript } from "../runtime/sandbox/script_imports.ts";
import { CliError, ExitCode } from "./exit_codes.ts";
import { copySdkTypes } from "./sdk_files.ts";
import { errorMessage } from "../shared/error_message.ts";

/** The deployable form of a script. */
export interface Bundle {
  entry: string;
  code: string;
  sourceMap?: string;
}

const ROOT = new URL("../", import.meta.url);

/** True inside a `deno compile`d binary, whose embedded files other processes cannot read. */
function isCompiled(): boolean {
  return Deno.mainModule.includes("/deno-compile-");
}

/**
 * The SDK's global declarations, as a URL `deno check` can read. A compiled
 * binary copies its embedded SDK sources into `tempDir` first.
 */
export async function sdkTypesUrl(tempDir: () => Promise<string>): Promise<string> {
  if (!isCompiled()) return new URL("sdk/globals.d.ts", ROOT).href;
  const dir = await tempDir();
  await copySdkTypes(dir);
  return new URL(`file://${dir}/sdk/globals.d.ts`).href;
}

/** The `deno` executable to type-check with. */
function denoExecutable(): string {
  // A compiled flora binary is not deno; use the one on PATH then.
  return Deno.execPath().match(/(^|\/)deno(\.exe)?$/) ? Deno.execPath() : "deno";
}

/**
 * Type-checks the script with the SDK globals in scope. Throws
 * {@linkcode CliError} with the checker's file:line diagnostics.
 */
export async function typeCheck(entryPath: string): Promise<void> {
  const absolute = await Deno.realPath(entryPath);
  const dir = absolute.slice(0, absolute.lastIndexOf("/"));
  // Placed beside the entry so the author's own deno.json applies.
  const wrapper = `${dir}/.flora-check-${crypto.randomUUID()}.ts`;
  let temp: string | undefined;
  const types = await sdkTypesUrl(async () =>
    temp = await Deno.makeTempDir({ prefix: "flora-sdk-" })
  );
  const entryUrl = new URL(`file://${absolute}`).href;
  await Deno.writeTextFile(
    wrapper,
    `/// <reference types="${types}" />\nimport ${JSON.stringify(entryUrl)};\n`,
  );
  try {
    const output = await new Deno.Command(denoExecutable(), {
      args: ["check", "--quiet", wrapper],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    if (!output.success) {
      const text = new TextDecoder().decode(output.stderr).replaceAll(
        `file://${dir}/`,
        "",
      )
        .replace(/\n*error: Type checking failed\.[\s\S]*$/, "").trim();
      throw new CliError(ExitCode.Script, `type errors in ${entryPath}:\n${text}`);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new CliError(ExitCode.Usage, "type-checking needs `deno` on PATH (or pass --no-check)");
    }
    throw error;
  } finally {
    await Deno.remove(wrapper).catch(() => {});
    if (temp) await Deno.remove(temp, { recursive: true }).catch(() => {});
  }
}

const INLINE_MAP = /\n\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/;

function decodeBase64(text: string): string {
  return new TextDecoder().decode(Uint8Array.from(atob(text), (c) => c.charCodeAt(0)));
}

/** Puts a parse error's `file:line:column` first, as editors and terminals link it. */
function describeBundleError(error: unknown): string {
  const text = errorMessage(error);
  const at = /\n\s*at (file:\/\/\S+?):(\d+):(\d+)\s*$/.exec(text);
  // The code frame between the message and the location stays, below it.
  if (!at) return text;
  const path = new URL(at[1]).pathname;
  const cwd = Deno.cwd() + "/";
  const shown = path.startsWith(cwd) ? path.slice(cwd.length) : path;
  const [headline, ...frame] = text.slice(0, at.index).trim().split("\n");
  return [`${shown}:${at[2]}:${at[3]}: ${headline}`, ...frame].join("\n");
}

/**
 * Bundles the script, its local imports and the npm packages it imports
 * (`npm:date-fns@4`) into one module, within `maxBytes` (code and source map).
 */
export async function bundle(
  entryPath: string,
  options: { maxBytes?: number } = {},
): Promise<Bundle> {
  let result: Deno.bundle.Result;
  try {
    result = await Deno.bundle({
      entrypoints: [entryPath],
      write: false,
      format: "esm",
      platform: "deno",
      sourcemap: "inline",
    });
  } catch (error) {
    throw new CliError(
      ExitCode.Script,
      `could not bundle ${entryPath}:\n${describeBundleError(error)}`,
    );
  }
  if (!result.success || !result.outputFiles?.[0]) {
    const messages = result.errors.map((e) =>
      e.location
        ? `${e.location.file}:${e.location.line}:${e.location.column}: ${e.text}`
        : describeBundleError(new Error(e.text))
    );
    throw new CliError(ExitCode.Script, `could not bundle ${entryPath}:\n${messages.join("\n")}`);
  }
  const text = result.outputFiles[0].text();
  // What the host would refuse (node: built-ins and other imports left in the bundle) stops here.
  await lexerReady;
  const sealed = sealScript(text);
  if (!sealed.ok) {
    throw new CliError(ExitCode.Script, `cannot deploy ${entryPath}: ${sealed.error}`);
  }
  const match = INLINE_MAP.exec(text);
  const built = {
    entry: entryPath,
    code: match ? text.slice(0, match.index) + "\n" : text,
    sourceMap: match ? decodeBase64(match[1]) : undefined,
  };
  checkBundleSize(built, options.maxBytes);
  return built;
}
