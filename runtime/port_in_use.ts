/**
 * "Address already in use" made actionable: the error names the port and the
 * setting that chooses it.
 *
 * @module
 */

/** A port flora was asked to listen on is taken. */
export class PortInUseError extends Error {
  override name = "PortInUseError";

  constructor(readonly port: number, readonly setting: string, options?: ErrorOptions) {
    super(
      `port ${port} is already in use (another flora, or another program); ` +
        `set ${setting} to a free port, or to 0 for any free port`,
      options,
    );
  }
}

/**
 * Runs `listen` and turns `Deno.errors.AddrInUse` into a {@linkcode PortInUseError}.
 *
 * @example
 * ```ts
 * const server = await listening(() => Deno.serve({ port: 8787 }, handler), 8787, "FLORA_API_PORT");
 * ```
 */
export async function listening<T>(
  listen: () => T | Promise<T>,
  port: number,
  setting: string,
): Promise<T> {
  try {
    return await listen();
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) {
      throw new PortInUseError(port, setting, { cause: error });
    }
    throw error;
  }
}
