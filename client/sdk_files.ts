/**
 * The SDK's declaration sources (what `flora init` copies into a project so
 * an editor completes the globals). Read from this checkout, or from the
 * copies `deno task compile` embeds in the binary.
 *
 * @module
 */

const ROOT = new URL("../", import.meta.url);

/**
 * Folders whose type files the SDK's declarations need: the SDK, its public
 * types by section (`sdk/types/`) and the protocol's shapes. Each folder is
 * read without its subfolders, so the protocol's host-only parsers
 * (`protocol/parse/`) and its re-exporting `mod.ts` stay behind.
 */
const SDK_TYPE_FOLDERS = ["sdk/", "sdk/types/", "runtime/sandbox/protocol/"];

/** Files the SDK's declarations need, relative to the repository root. */
export function sdkTypeFiles(): string[] {
  return SDK_TYPE_FOLDERS.flatMap((folder) =>
    [...Deno.readDirSync(new URL(folder, ROOT))]
      .filter((e) =>
        e.isFile && e.name.endsWith(".ts") && !e.name.endsWith("_test.ts") && e.name !== "mod.ts"
      )
      .map((e) => folder + e.name)
      .sort()
  );
}

/** Copies the SDK sources under `dir`, keeping their relative layout; returns the paths written. */
export async function copySdkTypes(dir: string): Promise<string[]> {
  const written: string[] = [];
  for (const file of sdkTypeFiles()) {
    const target = `${dir}/${file}`;
    await Deno.mkdir(target.slice(0, target.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(target, await Deno.readTextFile(new URL(file, ROOT)));
    written.push(target);
  }
  return written;
}
