/**
 * One supervised sandbox process slot: relays its child's messages, and when
 * the child dies, brings the slot back (a standby first), blames the workers
 * it lost and moves unresolved suspects apart.
 *
 * @module
 */

import type { LinkListener } from "./link_listener.ts";
import type { RawPart } from "./ndjson.ts";
import {
  type HostToProcess,
  type ProcessToHost,
  type WorkerKey,
  workerKeyId,
} from "./protocol/mod.ts";
import { blameProcessExit, unresolvedSuspects } from "./exit_blame.ts";
import type { PoolListener, PoolOptions } from "./pool_types.ts";
import { processIndex } from "./process_index.ts";
import { type ChildOwner, SandboxChild } from "./sandbox_child.ts";
import { RetiringChild } from "./retiring_child.ts";

/** A worker reported silent this recently when its process died is blamed for it, ms. */
const SUSPECT_WINDOW_MS = 1_000;

/** One supervised sandbox process slot (index), served by one child at a time. */
export class SandboxProcess implements ChildOwner {
  #current: SandboxChild | null = null;
  /** Workers living in the current child, so their owners learn when it dies. */
  readonly workers = new Map<string, WorkerKey>();
  /** The child being recycled, with the workers still in it (see `process_recycling.ts`). */
  #retiring: RetiringChild | null = null;
  /** When each worker was last reported silent (a likely cause if the process aborts). */
  readonly #silent = new Map<string, number>();
  #closing = false;
  restarts = 0;

  constructor(
    readonly index: number,
    readonly options: PoolOptions,
    readonly listener: PoolListener,
    /** A started standby to take over at once, if the pool has one. */
    readonly takeStandby: () => SandboxChild | null,
    readonly link: LinkListener | null,
    /** Moves these guilds to processes of their own (a death it could not attribute). */
    readonly isolate: (guildIds: string[], detail: string) => void,
    /** The one guild this process holds, when it was moved apart; null: a shared slot. */
    readonly isolatedGuild: string | null = null,
  ) {}

  /** How logs name it. */
  get name(): string {
    return this.isolatedGuild === null
      ? `sandbox process ${this.index}`
      : `the sandbox process of guild ${this.isolatedGuild} alone`;
  }

  get pid(): number | undefined {
    return this.#current?.pid;
  }

  /** The child serving this slot now (null between a death and its replacement). */
  get current(): SandboxChild | null {
    return this.#current;
  }

  start(): Promise<void> {
    return this.#adopt(new SandboxChild(this.options, this, this.link));
  }

  /** The child being recycled, while its workers move to the current one. */
  get retiring(): RetiringChild | null {
    return this.#retiring;
  }

  /** Whether the worker lives in this slot (its current child or the one being recycled). */
  holds(workerId: string): boolean {
    return this.workers.has(workerId) || (this.#retiring?.workers.has(workerId) ?? false);
  }

  /**
   * Recycles the current child: a fresh one (a standby if there is one) serves
   * the slot from now on, new workers start there, and the old one keeps its
   * workers until their owners stop them (between events), then exits. Null
   * when there is no child, or one is already being recycled.
   */
  recycle(): RetiringChild | null {
    const old = this.#current;
    if (!old || this.#retiring || this.#closing) return null;
    const retiring = new RetiringChild(old, this.workers);
    this.workers.clear();
    this.#retiring = retiring;
    this.#adopt(this.takeStandby() ?? new SandboxChild(this.options, this, this.link));
    if (retiring.workers.size === 0) this.#closeRetiring();
    return retiring;
  }

  /** A worker stopped by its owner: forgets it, and tells the child it lives in to stop it. */
  terminate(key: WorkerKey, message: HostToProcess): Promise<void> {
    const id = workerKeyId(key);
    const retiring = this.#retiring;
    if (retiring?.workers.delete(id)) {
      const sent = retiring.send(message);
      if (retiring.workers.size === 0) this.#closeRetiring();
      return sent;
    }
    this.workers.delete(id);
    return this.send(message);
  }

  /**
   * Gives up on the workers still in the recycled child (they took too long
   * to finish): their owners hear they were lost, as after a crash, and it
   * exits.
   */
  abandonRetiring(detail: string): void {
    const retiring = this.#retiring;
    if (!retiring) return;
    const lost = [...retiring.workers.values()];
    retiring.workers.clear();
    this.#closeRetiring();
    for (const key of lost) this.listener.workerExit(key, "process", detail);
  }

  #closeRetiring(): void {
    const retiring = this.#retiring;
    this.#retiring = null;
    retiring?.child.close();
  }

  #adopt(child: SandboxChild): Promise<void> {
    child.owner = this;
    this.#current = child;
    return child.ready;
  }

  message(child: SandboxChild, message: ProcessToHost): void {
    if (child !== this.#current) {
      // From the recycled child: only about workers still in it (one already stopped may
      // run again, under the same key, in the current child).
      const retiring = this.#retiring;
      if (
        retiring?.child !== child || !("guildId" in message) ||
        !retiring.workers.has(workerKeyId(message))
      ) return;
      if (message.type === "workerExit") {
        retiring.workers.delete(workerKeyId(message));
        if (retiring.workers.size === 0) this.#closeRetiring();
      }
    }
    switch (message.type) {
      case "fromWorker":
        this.listener.workerMessage(
          { guildId: message.guildId, deploymentId: message.deploymentId },
          message.message,
        );
        break;
      case "workerSilent":
        this.#silent.set(workerKeyId(message), performance.now());
        break;
      case "eventsStarted":
        // The message is its own worker key: no object per batch.
        this.listener.eventsStarted?.(message, message.ids);
        break;
      case "eventsDone":
        this.listener.eventsDone?.(message, message);
        break;
      case "workerExit": {
        const key = { guildId: message.guildId, deploymentId: message.deploymentId };
        this.workers.delete(workerKeyId(key));
        this.listener.workerExit(key, message.reason, message.detail);
        break;
      }
    }
  }

  exited(child: SandboxChild, status: Deno.CommandStatus): void {
    if (this.#retiring?.child === child) {
      this.abandonRetiring(`${this.name} died while it was being recycled`);
      return;
    }
    if (this.#current !== child) return;
    this.#current = null;
    const lost = [...this.workers.values()];
    this.workers.clear();
    const silentSince = performance.now() - SUSPECT_WINDOW_MS;
    const suspects = new Set(
      [...this.#silent].filter(([, at]) => at >= silentSince).map(([id]) => id),
    );
    this.#silent.clear();
    if (this.#closing) return;
    const detail = child.killedFor ??
      (status.signal
        ? `${this.name} was killed by ${status.signal}`
        : `${this.name} exited with code ${status.code}`);
    this.restarts++;
    // Bring the process back first, so owners can re-spawn their workers at once: a
    // standby (already initialised, spare workers warm) if there is one, else a new one.
    const standby = this.takeStandby();
    if (standby) this.#adopt(standby);
    else this.start();
    // Before the owners hear of it, so the suspects' restarts already go apart.
    const unresolved = unresolvedSuspects(lost, suspects);
    if (unresolved.length > 0) this.isolate(unresolved, detail);
    const isolated = this.isolatedGuild !== null;
    for (const { key, reason, detail: why } of blameProcessExit(lost, suspects, detail, isolated)) {
      this.listener.workerExit(key, reason, why);
    }
  }

  /**
   * Writes to the current child once it is ready. A message whose child died
   * meanwhile is dropped: its workers were reported lost, and the new child
   * must not receive what was meant for them. `raw` JSON texts ride after
   * the message's line (see `NdjsonWriter.write`).
   */
  send(message: HostToProcess, raw?: readonly RawPart[]): Promise<void> {
    const retiring = this.#retiring;
    if (retiring && "guildId" in message && retiring.workers.has(workerKeyId(message))) {
      return retiring.send(message, raw);
    }
    const child = this.#current;
    if (!child) return Promise.resolve();
    // Ready, as it is for nearly every message: written now, without a hop through `ready`.
    if (child.isReady && child.writer) return child.writer.post(message, raw);
    return this.#sendOnceReady(child, message, raw);
  }

  async #sendOnceReady(
    child: SandboxChild,
    message: HostToProcess,
    raw?: readonly RawPart[],
  ): Promise<void> {
    await child.ready;
    if (child !== this.#current || !child.writer) return;
    await child.writer.post(message, raw);
  }

  async close(): Promise<void> {
    this.#closing = true;
    const retiring = this.#retiring;
    this.#retiring = null;
    await Promise.all([this.#current?.close(), retiring?.child.close()]);
  }
}

/** What starting a process of one guild's own needs from the pool. */
export interface SoloProcessContext {
  readonly options: PoolOptions;
  readonly listener: PoolListener;
  /** The host's socket once the pool opened it (null: stdio). */
  link(): LinkListener | null;
  /** How many shared processes the pool has (a solo process borrows its guild's index). */
  sharedProcesses(): number;
}

/**
 * Starts a sandbox process that holds one guild alone (moved apart, or
 * dedicated): no standby (that is for the shared processes' neighbours), and
 * its deaths are that guild's. `isolate` receives suspects of its deaths.
 */
export function startSoloProcess(
  context: SoloProcessContext,
  guildId: string,
  isolate: (guildIds: string[], detail: string) => void,
): SandboxProcess {
  const process = new SandboxProcess(
    processIndex(guildId, context.sharedProcesses()),
    context.options,
    context.listener,
    () => null,
    context.link(),
    isolate,
    guildId,
  );
  process.start();
  return process;
}
