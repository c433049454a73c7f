/**
 * The SDK's declaration sources (what `flora init` copies into a project so
 * an editor completes the globals). Read from this checkout, or from the
 * copies `deno task compile` embeds in the binary.
 *
 * @module
 */

const ROOT = new URL("../", import.meta.url);

/** Files the SDK's declarations need, relative to the repository root. */
export function sdkTypeFiles(): string[] {
  const sdk = [...Deno.readDirSync(new URL("sdk/", ROOT))]
    .filter((e) => e.isFile && e.name.endsWith(".ts") && !e.name.endsWith("_test.ts"))
    .map((e) => `sdk/${e.name}`)
    .sort();
  return [...sdk, "runtime/sandbox/protocol.ts"];
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
