/**
 * Formats errors thrown by scripts for logs and deployment status.
 *
 * @module
 */

/** A readable one-paragraph description of anything thrown, with its stack. */
export function formatError(error: unknown): string {
  if (error instanceof Error) {
    const stack = error.stack ?? `${error.name}: ${error.message}`;
    // Frames inside flora's runtime bundle say nothing to a script author.
    return stack.split("\n").filter((line) => !line.includes("blob:")).join("\n");
  }
  try {
    return typeof error === "string" ? error : JSON.stringify(error);
  } catch {
    return String(error);
  }
}
