/**
 * A sandbox child being recycled: it no longer serves its slot (new workers
 * start in the slot's fresh child), but keeps the workers it had until their
 * owners stop them between events (`process_recycling.ts`), then exits.
 *
 * @module
 */

import type { HostToProcess, WorkerKey } from "./protocol/mod.ts";
import type { SandboxChild } from "./sandbox_child.ts";
import type { RawPart } from "./ndjson.ts";

/** The recycled child of a slot and the workers still in it. */
export class RetiringChild {
  /** Workers still running in it, by worker id. */
  readonly workers: Map<string, WorkerKey>;
  /** When recycling began (`performance.now()`). */
  readonly since = performance.now();

  constructor(readonly child: SandboxChild, workers: ReadonlyMap<string, WorkerKey>) {
    this.workers = new Map(workers);
  }

  /**
   * Writes to it (it was ready when it served the slot; `raw` as in
   * `NdjsonWriter.write`); never rejects: a broken pipe is its exit's business.
   */
  send(message: HostToProcess, raw?: readonly RawPart[]): Promise<void> {
    return this.child.writer?.post(message, raw) ?? Promise.resolve();
  }
}
