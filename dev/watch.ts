/**
 * Watches a script's folder and calls back once per burst of saves. Editors
 * write a file in several steps (truncate, write, rename), so changes are
 * debounced; files flora itself writes there (type-check wrappers, the dev
 * data dir) are ignored, or every deploy would trigger the next.
 *
 * @example
 * ```ts
 * const watcher = watchScript("src", () => session.deploy(), { ignore: [".flora"] });
 * // later
 * watcher.close();
 * ```
 *
 * @module
 */

/** A running watcher. */
export interface ScriptWatcher {
  close(): void;
}

/** Options of {@linkcode watchScript}. */
export interface WatchOptions {
  /** Paths (absolute or relative to the cwd) whose changes are ignored. */
  ignore?: string[];
  /** Quiet period before the callback fires, ms (default 150). */
  debounceMs?: number;
}

const SOURCE = /\.(ts|tsx|mts|js|jsx|mjs|json|jsonc)$/;

/** Whether a changed path is a source file worth redeploying for. */
export function isWatchedSource(path: string, ignored: string[]): boolean {
  if (!SOURCE.test(path)) return false;
  const name = path.slice(path.lastIndexOf("/") + 1);
  if (name.startsWith(".flora-check-")) return false;
  if (/(^|\/)(node_modules|\.git)(\/|$)/.test(path)) return false;
  return !ignored.some((prefix) => path === prefix || path.startsWith(prefix + "/"));
}

/** Calls `onChange` with the changed paths after each burst of source changes under `dir`. */
export function watchScript(
  dir: string,
  onChange: (paths: string[]) => void,
  options: WatchOptions = {},
): ScriptWatcher {
  const ignored = (options.ignore ?? []).map((p) =>
    p.startsWith("/") ? p : `${Deno.cwd()}/${p}`.replace(/\/\.\//g, "/").replace(/\/+$/, "")
  );
  const watcher = Deno.watchFs(dir, { recursive: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  let pending = new Set<string>();
  (async () => {
    try {
      for await (const event of watcher) {
        if (event.kind === "access") continue;
        const paths = event.paths.filter((p) => isWatchedSource(p, ignored));
        if (paths.length === 0) continue;
        for (const p of paths) pending.add(p);
        clearTimeout(timer);
        timer = setTimeout(() => {
          const changed = [...pending];
          pending = new Set();
          onChange(changed);
        }, options.debounceMs ?? 150);
      }
    } catch {
      // The watcher was closed.
    }
  })();
  return {
    close() {
      clearTimeout(timer);
      try {
        watcher.close();
      } catch { /* already closed */ }
    },
  };
}
