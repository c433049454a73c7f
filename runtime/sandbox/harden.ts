/**
 * Locks down a worker's global scope before the guild's script runs. The
 * worker already has no permissions (no files, env, processes, FFI or
 * network) and its process loads no remote or npm code; this removes what
 * is left that a script could misuse inside its own worker:
 *
 * - `postMessage` and `close`: the SDK captured the channel to the host
 *   first (`sdk/bridge.ts`); a script cannot forge protocol messages or end
 *   its worker behind the runtime's back;
 * - `onmessage`/`onerror`/`onmessageerror`: fixed to the runtime's handlers,
 *   so a script cannot take over event delivery or liveness pings;
 * - `Worker`: no fork bombs;
 * - the `Deno` namespace: replaced by a frozen object with the few harmless
 *   members scripts use (`inspect`, `version`, `build`, `errors`);
 * - the SDK's globals: frozen, so tampering with `createBot`, `slash`… or
 *   their properties has no effect;
 * - clocks: `performance.now()` and `Temporal.Now` tick in whole
 *   milliseconds, like `Date.now()` (timing side channels, see
 *   `docs/isolation.md`);
 * - `_fimp_`: what the script's dynamic `import()`s were rewritten to call
 *   (`script_imports.ts`): it always refuses;
 * - everything else not on the allowlist (`global_allowlist.ts`) is deleted,
 *   own or inherited, symbols included.
 *
 * @module
 */

import { removeUnlistedGlobals } from "./global_allowlist.ts";
import { REFUSED_IMPORT, refusedImport } from "./no_modules.ts";

/** Thrown when a script reaches for something the sandbox removed. */
export class SandboxRestriction extends Error {
  override name = "SandboxRestriction";
}

function refuse(what: string): never {
  throw new SandboxRestriction(`flora: ${what} is not available to scripts`);
}

function lockValue(target: object, name: string, value: unknown): void {
  Object.defineProperty(target, name, {
    value,
    writable: false,
    configurable: false,
    enumerable: false,
  });
}

/** Replaces an event-handler property with one that keeps the runtime's handler. */
function lockHandler(target: object, name: string): void {
  const descriptor = Object.getOwnPropertyDescriptor(target, name);
  const current = descriptor?.get?.call(target) ?? null;
  Object.defineProperty(target, name, {
    get: () => current,
    set: () => refuse(`replacing ${name}`),
    configurable: false,
    enumerable: false,
  });
}

/** Freezes a value and everything reachable from its own properties. */
function deepFreeze(value: unknown, seen = new Set<unknown>()): void {
  if ((typeof value !== "object" && typeof value !== "function") || value === null) return;
  if (seen.has(value)) return;
  seen.add(value);
  Object.freeze(value);
  for (const key of Reflect.ownKeys(value)) {
    const descriptor = Object.getOwnPropertyDescriptor(value, key);
    if (descriptor && "value" in descriptor) deepFreeze(descriptor.value, seen);
  }
}

/**
 * Hardens `scope` (the worker's `globalThis`). Call after the runtime has
 * installed its message handlers and the SDK globals, before the script
 * loads.
 *
 * @example
 * ```ts
 * hardenWorkerScope(globalThis, { createBot, slash });
 * ```
 */
export function hardenWorkerScope(
  scope: typeof globalThis,
  sdkGlobals: Record<string, unknown>,
): void {
  const deno = scope.Deno;
  const safeDeno = {
    inspect: deno.inspect,
    version: { ...deno.version },
    build: { ...deno.build },
    errors: deno.errors,
    noColor: true,
  };
  Object.freeze(safeDeno.version);
  Object.freeze(safeDeno.build);
  Object.freeze(safeDeno);
  lockValue(scope, "Deno", safeDeno);

  lockValue(scope, "postMessage", () => refuse("postMessage (use the SDK)"));
  lockValue(scope, "close", () => refuse("close()"));
  class Worker {
    constructor() {
      refuse("new Worker()");
    }
  }
  lockValue(scope, "Worker", Worker);
  for (const name of ["onmessage", "onerror", "onmessageerror"]) lockHandler(scope, name);

  lockValue(scope, REFUSED_IMPORT, refusedImport);
  coarsenClocks(scope);
  removeUnlistedGlobals(scope, new Set(Object.keys(sdkGlobals)));

  for (const value of Object.values(sdkGlobals)) deepFreeze(value);
}

/** The finest step of the clocks scripts see, ms: that of `Date.now()`. */
export const CLOCK_STEP_MS = 1;

/** The part of `Temporal.Now` scripts get, driven by the coarse clock. */
interface TemporalLike {
  Now: { timeZoneId(): string };
  Instant: {
    fromEpochMilliseconds(ms: number): {
      toZonedDateTimeISO(timeZone: string): {
        toPlainDateTime(): unknown;
        toPlainDate(): unknown;
        toPlainTime(): unknown;
      };
    };
  };
}

/**
 * Replaces `performance` with a frozen object whose `now()` ticks in whole
 * milliseconds, and `Temporal.Now` with one read from `Date.now()`: no clock
 * finer than a millisecond is left to time a cache hit with.
 */
function coarsenClocks(scope: typeof globalThis): void {
  const precise = scope.performance;
  const preciseNow = precise.now.bind(precise);
  const step = CLOCK_STEP_MS;
  const performance = Object.freeze({
    timeOrigin: precise.timeOrigin,
    now: () => Math.floor(preciseNow() / step) * step,
    toJSON: () => ({ timeOrigin: precise.timeOrigin }),
  });
  lockValue(scope, "performance", performance);

  const temporal = (scope as unknown as { Temporal?: TemporalLike }).Temporal;
  if (!temporal) return;
  const timeZoneId = temporal.Now.timeZoneId.bind(temporal.Now);
  const zoned = (timeZone?: string) =>
    temporal.Instant.fromEpochMilliseconds(Date.now()).toZonedDateTimeISO(timeZone ?? timeZoneId());
  const now = Object.freeze({
    instant: () => temporal.Instant.fromEpochMilliseconds(Date.now()),
    timeZoneId,
    zonedDateTimeISO: zoned,
    plainDateTimeISO: (timeZone?: string) => zoned(timeZone).toPlainDateTime(),
    plainDateISO: (timeZone?: string) => zoned(timeZone).toPlainDate(),
    plainTimeISO: (timeZone?: string) => zoned(timeZone).toPlainTime(),
    [Symbol.toStringTag]: "Temporal.Now",
  });
  lockValue(temporal, "Now", now);
}
