/**
 * The pool's cache of sealed scripts (`script_imports.ts`), by deployment.
 *
 * @module
 */

import type { LoadMessage } from "./protocol/mod.ts";
import { sealScript } from "./script_imports.ts";

/** Deployments whose sealing outcome the pool remembers (see `ScriptSeals#seal`). */
const SEALS_KEPT = 1_000;

/** A sealed script as the pool keeps it: rewritten code, or null when it runs as it is. */
export type SealOutcome = { ok: true; code: string | null } | { ok: false; error: string };

/** Sealing outcomes by deployment id, oldest first, at most {@linkcode SEALS_KEPT}. */
export class ScriptSeals {
  #seals = new Map<string, SealOutcome>();

  /**
   * Seals a deployment's script once: lexing takes the host's thread (about 140 ms per MiB,
   * measured under load), and a deployment's code never changes. Only rewritten code is kept
   * (null: run as is), so the cache holds no copy of ordinary bundles.
   */
  seal(load: LoadMessage): SealOutcome {
    const cached = this.#seals.get(load.deploymentId);
    if (cached) return cached;
    const sealed = sealScript(load.code);
    const outcome: SealOutcome = sealed.ok
      ? { ok: true, code: sealed.code === load.code ? null : sealed.code }
      : sealed;
    this.#seals.set(load.deploymentId, outcome);
    if (this.#seals.size > SEALS_KEPT) this.#seals.delete(this.#seals.keys().next().value!);
    return outcome;
  }
}
