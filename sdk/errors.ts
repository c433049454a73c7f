/**
 * Formats errors thrown by scripts for logs and deployment status. Frames
 * of the user's bundle are marked `flora-script:LINE:COL` for the host to
 * map back to the author's files (source maps); frames of flora's own
 * runtime say nothing to an author and are dropped.
 *
 * @module
 */

/** Mirrors `SCRIPT_FRAME_MARK` in runtime/host/stack_map.ts (the SDK imports nothing from the host). */
const SCRIPT_FRAME_MARK = "flora-script";

let scriptUrl: string | null = null;

/** Records the URL the script's bundle was loaded from. */
export function setScriptUrl(url: string): void {
  scriptUrl = url;
}

/** Marks the script's frames and drops the runtime's in a stack trace. */
export function cleanStack(stack: string): string {
  return stack.split("\n").flatMap((line) => {
    if (scriptUrl && line.includes(scriptUrl)) {
      return [line.replaceAll(scriptUrl, SCRIPT_FRAME_MARK)];
    }
    const isFrame = /^\s+at /.test(line);
    return isFrame && (line.includes("blob:") || line.includes("ext:")) ? [] : [line];
  }).join("\n");
}

/** A readable one-paragraph description of anything thrown, with its stack. */
export function formatError(error: unknown): string {
  if (error instanceof Error) {
    return cleanStack(error.stack ?? `${error.name}: ${error.message}`);
  }
  try {
    return typeof error === "string" ? error : JSON.stringify(error);
  } catch {
    return String(error);
  }
}
