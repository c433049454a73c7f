/**
 * The operator token of an embedded install: generated at first start and
 * kept in the data directory (mode 0600), so restarts keep it.
 *
 * @module
 */

/** Reads the data dir's operator token, creating one if there is none. */
export async function ensureOperatorToken(
  dataDir: string,
): Promise<{ token: string; created: boolean }> {
  const path = `${dataDir}/operator-token`;
  try {
    const token = (await Deno.readTextFile(path)).trim();
    if (token.length >= 16) return { token, created: false };
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  const token = "flora_op_" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  await Deno.mkdir(dataDir, { recursive: true });
  await Deno.writeTextFile(path, token + "\n", { mode: 0o600 });
  return { token, created: true };
}
