/**
 * The DeploymentEvents contract: every subscriber receives every change
 * published after it subscribed, in order.
 *
 * @module
 */

import type { DeploymentChange, DeploymentEvents } from "../types.ts";
import { assertEquals } from "./assert.ts";
import {
  type ContractCase,
  type ContractOptions,
  type Factory,
  registerContract,
} from "./harness.ts";

/** Collects changes and lets a test wait for a number of them (no timeouts). */
class Collector {
  readonly changes: DeploymentChange[] = [];
  #waiters: { count: number; resolve: () => void }[] = [];

  readonly listener = (change: DeploymentChange) => {
    this.changes.push(change);
    this.#waiters = this.#waiters.filter((w) => {
      if (this.changes.length < w.count) return true;
      w.resolve();
      return false;
    });
  };

  waitFor(count: number): Promise<void> {
    if (this.changes.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ count, resolve }));
  }
}

const change = (i: number): DeploymentChange => ({
  guildId: `g${i % 3}`,
  deploymentId: `d${i}`,
  status: i % 2 ? "active" : "failed",
});

const cases: ContractCase<DeploymentEvents>[] = [
  {
    name: "every subscriber receives every change, in order",
    async run(events) {
      const a = new Collector();
      const b = new Collector();
      const subA = await events.subscribe(a.listener);
      const subB = await events.subscribe(b.listener);
      try {
        const sent = Array.from({ length: 10 }, (_, i) => change(i));
        for (const c of sent) await events.publish(c);
        await Promise.all([a.waitFor(10), b.waitFor(10)]);
        assertEquals(a.changes, sent);
        assertEquals(b.changes, sent);
      } finally {
        await subA.close();
        await subB.close();
      }
    },
  },
  {
    name: "a closed subscription receives nothing more; others keep receiving",
    async run(events) {
      const closed = new Collector();
      const open = new Collector();
      const subClosed = await events.subscribe(closed.listener);
      const subOpen = await events.subscribe(open.listener);
      try {
        await events.publish(change(1));
        await Promise.all([closed.waitFor(1), open.waitFor(1)]);
        await subClosed.close();
        await events.publish(change(2));
        await open.waitFor(2);
        assertEquals(closed.changes, [change(1)]);
        assertEquals(open.changes, [change(1), change(2)]);
      } finally {
        await subOpen.close();
      }
    },
  },
];

export function deploymentEventsContract(
  backend: string,
  factory: Factory<DeploymentEvents>,
  options: ContractOptions = {},
): void {
  registerContract(`DeploymentEvents contract (${backend})`, factory, cases, options);
}
