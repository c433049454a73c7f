/**
 * The names a guild script may find on its global scope, and the function
 * that removes every other one before the script runs. An allowlist, not a
 * denylist: a web API a future Deno adds (and that may keep state shared
 * by every worker of the process, as `BroadcastChannel`, `caches` and
 * `navigator.locks` do) stays out until someone reviews it and adds it here.
 *
 * Left out on purpose (`docs/isolation.md`): `BroadcastChannel`, `caches`/
 * `CacheStorage`/`Cache`, `Lock`/`LockManager` and `navigator` (state shared
 * between the workers of a process); `process`, `Buffer`, `global`,
 * `setImmediate`/`clearImmediate` (Node's compatibility layer);
 * `WebSocket`/`EventSource` (network outside the host's `fetch`);
 * `location`/`WorkerLocation` (the runtime's URL); `SharedArrayBuffer` and the
 * `Performance*` entry classes (fine-grained timers); WebGPU and canvas
 * (`GPU*`, `OffscreenCanvas`, `createImageBitmap`, `ImageData`, `ImageBitmap*`:
 * native code no bot needs).
 *
 * @module
 */

import { REFUSED_IMPORT } from "./no_modules.ts";

/** ECMAScript's own globals (the language, not the platform). */
// deno-fmt-ignore
const LANGUAGE = [
  "Object", "Function", "Array", "Number", "parseFloat", "parseInt", "Infinity", "NaN",
  "undefined", "Boolean", "String", "Symbol", "Date", "Promise", "RegExp", "Error",
  "AggregateError", "EvalError", "RangeError", "ReferenceError", "SyntaxError", "TypeError",
  "URIError", "SuppressedError", "globalThis", "JSON", "Math", "Intl", "ArrayBuffer", "Atomics",
  "Uint8Array", "Int8Array", "Uint16Array", "Int16Array", "Uint32Array", "Int32Array",
  "BigUint64Array", "BigInt64Array", "Uint8ClampedArray", "Float16Array", "Float32Array",
  "Float64Array", "DataView", "Map", "BigInt", "Set", "Iterator", "WeakMap", "WeakSet", "Proxy",
  "Reflect", "FinalizationRegistry", "WeakRef", "decodeURI", "decodeURIComponent", "encodeURI",
  "encodeURIComponent", "escape", "unescape", "eval", "isFinite", "isNaN", "Temporal",
  "DisposableStack", "AsyncDisposableStack", "WebAssembly",
] as const;

/** Web APIs that keep no state outside the worker and reach nothing but the worker itself. */
// deno-fmt-ignore
const PLATFORM = [
  "console", "queueMicrotask", "structuredClone", "reportError", "atob", "btoa",
  "setTimeout", "clearTimeout", "setInterval", "clearInterval",
  "AbortController", "AbortSignal", "Event", "EventTarget", "CustomEvent", "ErrorEvent",
  "MessageEvent", "CloseEvent", "ProgressEvent", "PromiseRejectionEvent", "DOMException",
  "QuotaExceededError", "MessageChannel", "MessagePort",
  "Blob", "File", "FileReader", "FormData", "Headers", "Request", "Response", "fetch",
  "URL", "URLSearchParams", "URLPattern", "TextEncoder", "TextDecoder", "TextEncoderStream",
  "TextDecoderStream", "CompressionStream", "DecompressionStream",
  "ReadableStream", "ReadableStreamDefaultReader", "ReadableStreamBYOBReader",
  "ReadableStreamBYOBRequest", "ReadableStreamDefaultController", "ReadableByteStreamController",
  "WritableStream", "WritableStreamDefaultWriter", "WritableStreamDefaultController",
  "TransformStream", "TransformStreamDefaultController", "ByteLengthQueuingStrategy",
  "CountQueuingStrategy", "crypto", "Crypto", "SubtleCrypto", "CryptoKey",
  "DOMMatrix", "DOMMatrixReadOnly", "DOMPoint", "DOMPointReadOnly", "DOMQuad", "DOMRect",
  "DOMRectReadOnly", "WorkerGlobalScope", "DedicatedWorkerGlobalScope", "self", "name",
  "onerror", "onmessage", "onmessageerror", "onunhandledrejection",
] as const;

/**
 * Globals the runtime replaces with its own (`harden.ts`): locked channel
 * functions, a frozen `Deno`, a `Worker` that refuses, a coarse `performance`,
 * and the target of the script's rewritten dynamic imports.
 */
// deno-fmt-ignore
export const REPLACED_GLOBALS = [
  "Deno", "postMessage", "close", "Worker", "performance", REFUSED_IMPORT,
] as const;

/** Own names of the worker's global scope a script may see, besides the SDK's. */
export const ALLOWED_GLOBALS: ReadonlySet<string> = new Set<string>([
  ...LANGUAGE,
  ...PLATFORM,
  ...REPLACED_GLOBALS,
]);

/**
 * Names on the global scope's prototype chain (`DedicatedWorkerGlobalScope`,
 * `WorkerGlobalScope`, `EventTarget`, `Object` prototypes). `getParent` and
 * the custom-inspect symbol are Deno's event and console plumbing.
 */
// deno-fmt-ignore
export const ALLOWED_INHERITED: ReadonlySet<string> = new Set<string>([
  "constructor", "addEventListener", "removeEventListener", "dispatchEvent", "getParent",
  "__defineGetter__", "__defineSetter__", "hasOwnProperty", "__lookupGetter__",
  "__lookupSetter__", "isPrototypeOf", "propertyIsEnumerable", "toString", "valueOf",
  "__proto__", "toLocaleString", "Symbol(Symbol.toStringTag)", "Symbol(Deno.privateCustomInspect)",
]);

/**
 * Symbols on the global scope itself: Deno's brand check of `globalThis`
 * (`self` needs it) and its record of the scope's own event listeners (the
 * worker's message loop needs it; it holds this worker's listeners only).
 */
export const ALLOWED_GLOBAL_SYMBOLS: ReadonlySet<string> = new Set<string>([
  "Symbol()",
  "Symbol([[webidl.brand]])",
]);

/** How a property key is named in the lists above (symbols by their description). */
export function keyName(key: string | symbol): string {
  return typeof key === "symbol" ? String(key) : key;
}

/**
 * Every key on `scope` and its prototype chain that the allowlist does not
 * name, as `[holder, key]` (what the test enumerates, and what is removed).
 *
 * @example
 * ```ts
 * unlistedGlobals(globalThis, new Set(["createBot"])).map(([, key]) => String(key));
 * // e.g. ["BroadcastChannel", "caches", "process", …] before hardening, [] after
 * ```
 */
export function unlistedGlobals(
  scope: object,
  extra: ReadonlySet<string>,
): [object, string | symbol][] {
  const found: [object, string | symbol][] = [];
  for (const key of Reflect.ownKeys(scope)) {
    const name = keyName(key);
    const allowed = typeof key === "symbol"
      ? ALLOWED_GLOBAL_SYMBOLS.has(name)
      : ALLOWED_GLOBALS.has(name) || extra.has(name);
    if (!allowed) found.push([scope, key]);
  }
  for (let proto = Object.getPrototypeOf(scope); proto; proto = Object.getPrototypeOf(proto)) {
    for (const key of Reflect.ownKeys(proto)) {
      if (!ALLOWED_INHERITED.has(keyName(key))) found.push([proto, key]);
    }
  }
  return found;
}

/**
 * Deletes every global the allowlist does not name (own or inherited,
 * symbols included). Throws if one cannot be deleted: a worker that cannot
 * be made safe must not run the script.
 *
 * @example
 * ```ts
 * removeUnlistedGlobals(globalThis, new Set(Object.keys(sdkGlobals)));
 * ```
 */
export function removeUnlistedGlobals(scope: object, extra: ReadonlySet<string>): void {
  for (const [holder, key] of unlistedGlobals(scope, extra)) {
    if (!Reflect.deleteProperty(holder, key)) {
      throw new Error(`flora: could not remove the global ${keyName(key)} from the sandbox`);
    }
  }
}
