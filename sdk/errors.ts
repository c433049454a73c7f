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

type Frame = "script" | "runtime" | "native" | "other";

function kindOf(line: string): Frame {
  if (!/^\s+at /.test(line)) return "other";
  if (scriptUrl && line.includes(scriptUrl)) return "script";
  if (line.includes("blob:") || line.includes("ext:")) return "runtime";
  if (line.includes("(<anonymous>)") || line.includes("(native)")) return "native";
  return "other";
}

/**
 * Marks the script's frames and drops the runtime's in a stack trace
 * (native frames such as `Array.forEach` go too when flora's code called them).
 */
export function cleanStack(stack: string): string {
  const lines = stack.split("\n");
  const kinds = lines.map(kindOf);
  return lines.flatMap((line, i) => {
    switch (kinds[i]) {
      case "script":
        return [line.replaceAll(scriptUrl!, SCRIPT_FRAME_MARK)];
      case "runtime":
        return [];
      case "native":
        return kinds[i - 1] === "runtime" || kinds[i + 1] === "runtime" ? [] : [line];
      default:
        return [line];
    }
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
