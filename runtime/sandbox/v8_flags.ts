/**
 * The V8 flags a sandbox process runs with: one place for flora's defaults
 * and the operator's additions (`FLORA_SANDBOX_V8_FLAGS`). V8's flags are
 * per process, so they hold for the process's relay and every guild worker
 * in it alike.
 *
 * @module
 */

/**
 * Flags every sandbox process gets beside the heap limit, and why (measured in
 * `docs/operations.md`, "Sandbox side: each isolate's working set"):
 *
 * - `--no-short-builtin-calls`: with a heap limit of 2 GiB or more
 *   (`FLORA_SANDBOX_HEAP_MB`; the benches run with 4 GiB) V8 maps the binary's
 *   embedded builtins into every isolate's own code range: ≈ 1.8 MiB of each
 *   worker's RSS that is the same file pages a thousand times over (PSS does
 *   not move), which the RSS guard and recycling counted as the workers'.
 *   RSS per worker at 1,000 guilds: 11.5 → 9.5 MiB; CPU per event did not
 *   move measurably. Below 2 GiB (the default 512 MiB) V8 does not copy them
 *   and the flag changes nothing.
 */
export const SANDBOX_V8_DEFAULTS: readonly string[] = ["--no-short-builtin-calls"];

/**
 * The flags an operator may add: memory, garbage collection and compiler tuning, by name
 * (each on/off flag also as `--no-…`). An allowlist, not a denylist: V8 has hundreds of flags
 * and new ones each release, and some undo a guarantee of the sandbox (code from strings,
 * whose `import()` `script_imports.ts` never saw; natives syntax; exposed internals). The heap
 * limit and the memory reducer have their own settings (`FLORA_SANDBOX_HEAP_MB`,
 * `FLORA_SANDBOX_MEMORY_REDUCER`), which the memory guard reads.
 */
export const OPERATOR_V8_FLAGS: ReadonlySet<string> = new Set([
  // memory
  "short-builtin-calls",
  "max-semi-space-size",
  "min-semi-space-size",
  "optimize-for-size",
  "memory-saver-mode",
  "stack-size",
  // garbage collection
  "single-threaded-gc",
  "concurrent-marking",
  "parallel-scavenge",
  // compilers and tiering
  "lazy",
  "max-lazy",
  "flush-bytecode",
  "sparkplug",
  "always-sparkplug",
  "maglev",
  "turbofan",
  "max-opt",
]);

/** One V8 flag as V8 reads it from a comma-separated `--v8-flags=` list. */
const FLAG = /^--[a-z0-9][a-z0-9_-]*(=[^,\s]+)?$/;

/** Why an operator's V8 flags were refused. */
export class V8FlagsError extends Error {}

/**
 * Reads an operator's extra V8 flags (comma- or space-separated); throws
 * {@linkcode V8FlagsError} on one that is malformed or not in {@linkcode OPERATOR_V8_FLAGS}.
 *
 * @example
 * ```ts
 * parseV8Flags("--short-builtin-calls, --max-lazy"); // ["--short-builtin-calls", "--max-lazy"]
 * ```
 */
export function parseV8Flags(text: string): string[] {
  const flags = text.split(/[\s,]+/).filter((flag) => flag !== "");
  for (const flag of flags) {
    if (!FLAG.test(flag)) {
      throw new V8FlagsError(`"${flag}" is not a V8 flag (--name or --name=value)`);
    }
    const name = flag.slice(2).split("=")[0].replace(/^no-/, "").replaceAll("_", "-");
    if (!OPERATOR_V8_FLAGS.has(name)) {
      throw new V8FlagsError(
        `"${flag}" is not a flag an operator may set: only memory, GC and compiler tuning ` +
          `flags that cannot weaken the sandbox are taken (${[...OPERATOR_V8_FLAGS].join(", ")})`,
      );
    }
  }
  return flags;
}

/** What a sandbox process's V8 flags depend on (a subset of the pool's options). */
export interface SandboxV8Options {
  /** `--max-old-space-size`, MiB. */
  heapMb: number;
  /** Keep V8's memory reducer on (off by default). */
  memoryReducer?: boolean;
  /** `--max-semi-space-size`, MiB; absent: V8's own. */
  semiSpaceMb?: number;
  /** The operator's additions, after flora's (V8 takes the last of a flag given twice). */
  v8Flags?: readonly string[];
}

/**
 * The `--v8-flags=` argument of a sandbox process.
 *
 * @example
 * ```ts
 * sandboxV8Flags({ heapMb: 128 }).startsWith("--v8-flags=--max-old-space-size=128,"); // true
 * ```
 */
export function sandboxV8Flags(options: SandboxV8Options): string {
  const flags = [
    `--max-old-space-size=${options.heapMb}`,
    // No code from strings (eval, new Function): a script could otherwise write an
    // import() that script_imports.ts never saw.
    "--disallow-code-generation-from-strings",
    ...(options.memoryReducer ? [] : ["--no-memory-reducer"]),
    ...(options.semiSpaceMb === undefined ? [] : [`--max-semi-space-size=${options.semiSpaceMb}`]),
    ...SANDBOX_V8_DEFAULTS,
    ...(options.v8Flags ?? []),
  ];
  return `--v8-flags=${flags.join(",")}`;
}

/**
 * Refuses flags V8 does not know before any sandbox process starts: a process
 * given one exits at once ("V8 did not recognize flag"), and the pool would
 * keep restarting processes that can never serve. Costs one short process
 * (≈ 60 ms), only when an operator added flags.
 */
export async function checkV8Flags(flags: readonly string[]): Promise<void> {
  if (flags.length === 0) return;
  const { success, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", `--v8-flags=${flags.join(",")}`, ""],
    env: { NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!success) {
    const said = new TextDecoder().decode(stderr).trim().split("\n")[0];
    throw new V8FlagsError(`V8 refused the sandbox's flags ${flags.join(",")}: ${said}`);
  }
}
