/**
 * DeploymentEvents on Deno KV. Each change is appended under
 * `["events", "deploy", seq]` and `["events", "deploy", "head"]` is bumped;
 * subscribers watch the head and read every change after the last one they
 * saw, so bursts are not coalesced (`kv.watch` reports only the latest
 * value). Deno KV watches reach subscribers of the same database handle
 * (one process on a local file) or every process on a remote KV
 * (`FLORA_KV_URL`); a local file is not watched across processes.
 *
 * @module
 */

import type { DeploymentChange, DeploymentEvents, Subscription } from "../types.ts";
import { AGAIN, done, retryAtomic } from "./retry.ts";

const HEAD: Deno.KvKey = ["events", "deploy", "head"];
const eventKey = (seq: number): Deno.KvKey => ["events", "deploy", seq];
/** Changes are kept long enough for any live subscriber to read them. */
const EVENT_TTL_MS = 10 * 60 * 1000;

export class KvDeploymentEvents implements DeploymentEvents {
  readonly #kv: Deno.Kv;

  constructor(kv: Deno.Kv) {
    this.#kv = kv;
  }

  async publish(change: DeploymentChange): Promise<void> {
    const event: DeploymentChange = {
      guildId: change.guildId,
      deploymentId: change.deploymentId,
      status: change.status,
    };
    await retryAtomic("publish deployment change", async () => {
      const head = await this.#kv.get<number>(HEAD);
      const seq = (head.value ?? 0) + 1;
      const result = await this.#kv.atomic()
        .check(head)
        .set(eventKey(seq), event, { expireIn: EVENT_TTL_MS })
        .set(HEAD, seq)
        .commit();
      return result.ok ? done(undefined) : AGAIN;
    });
  }

  async subscribe(listener: (change: DeploymentChange) => void): Promise<Subscription> {
    const stream = this.#kv.watch<[number]>([HEAD]);
    const reader = stream.getReader();
    // The first report is the current head: everything up to it is history.
    const first = await reader.read();
    let seen = first.done ? 0 : first.value[0].value ?? 0;
    const kv = this.#kv;
    let closed = false;
    const loop = (async () => {
      while (true) {
        const next = await reader.read();
        if (next.done) return;
        const head = next.value[0].value ?? 0;
        if (head <= seen) continue;
        const iter = kv.list<DeploymentChange>({
          start: eventKey(seen + 1),
          end: eventKey(head + 1),
        });
        for await (const entry of iter) {
          try {
            listener(entry.value);
          } catch (error) {
            // One failing listener must not end the subscription.
            console.error("deployment change listener failed:", error);
          }
        }
        seen = head;
      }
    })().catch((error) => {
      // Never an unhandled rejection; after close() the database may be gone on purpose.
      if (!closed) console.error("deployment change subscription ended:", error);
    });
    return {
      async close() {
        closed = true;
        await reader.cancel();
        await loop;
      },
    };
  }
}
