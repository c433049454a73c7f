import assert from "node:assert/strict";
import { jetstreamManager } from "@nats-io/jetstream";
import { natsGate, uniqueName } from "../../storage/testing/servers.ts";
import {
  type BusEvent,
  busNames,
  ensureEventBus,
  EventPublisher,
  removeEventBus,
} from "./event_bus.ts";
import { publishUntilStored } from "./stored_publish.ts";
import { natsTest, withNats } from "./testing.ts";

const gate = await natsGate();
const nats = natsTest(gate);

const event = (n: number): BusEvent => ({
  id: `session-1:${n}`,
  guildId: "101",
  payload: { t: "MESSAGE_CREATE", s: n, d: { guild_id: "101", content: `#${n}` } },
});

Deno.test({
  ...nats,
  name: `publishUntilStored stores an event once the bus can take it, once${gate.note}`,
  fn: () =>
    withNats(async (nc) => {
      const prefix = uniqueName("t");
      const publisher = new EventPublisher(nc, { prefix, partitions: 1 });
      const errors: unknown[] = [];
      try {
        // No stream yet: JetStream answers "no responders" until the bus exists.
        const publishing = publishUntilStored(() => publisher.publish(event(1)), {
          retryMs: 20,
          onRetry: (error) => errors.push(error),
        });
        await new Promise((resolve) => setTimeout(resolve, 150));
        await ensureEventBus(nc, { prefix, partitions: 1 });
        const published = await publishing;
        assert.equal(published.duplicate, false);
        assert.ok(errors.length >= 1, "the first try failed and was retried");
        // A try again of a stored event (its ack was only late) adds nothing.
        const again = await publishUntilStored(() => publisher.publish(event(1)));
        assert.equal(again.duplicate, true);
        assert.equal(again.seq, published.seq);
        const info = await (await jetstreamManager(nc)).streams.info(busNames(prefix).stream);
        assert.equal(info.state.messages, 1);
      } finally {
        await removeEventBus(nc, prefix).catch(() => {});
      }
    }),
});

Deno.test("publishUntilStored rethrows the last error once it would pass giveUpMs", async () => {
  let tries = 0;
  const failing = () => Promise.reject(new Error(`try ${++tries}`));
  await assert.rejects(
    publishUntilStored(failing, { retryMs: 10, maxRetryMs: 20, giveUpMs: 100 }),
    (error: Error) => error.message === `try ${tries}`,
  );
  // Waits of 10, 20, 20, 20 (70 ms) fit in 100 ms when timers are on time; fewer on a busy machine.
  assert.ok(tries >= 2 && tries <= 6, `tried ${tries} times`);
});

Deno.test("publishUntilStored stops retrying as soon as its signal aborts", async () => {
  const closing = new AbortController();
  let tries = 0;
  const started = performance.now();
  const publishing = publishUntilStored(() => Promise.reject(new Error(`try ${++tries}`)), {
    retryMs: 5_000,
    maxRetryMs: 5_000,
    signal: closing.signal,
  });
  setTimeout(() => closing.abort(), 20);
  await assert.rejects(publishing, /try 1/);
  assert.equal(tries, 1);
  assert.ok(performance.now() - started < 2_000, "did not wait out the retry");
});

Deno.test("publishUntilStored refuses nonsense timings with the option's name", async () => {
  const ok = () => Promise.resolve(1);
  await assert.rejects(publishUntilStored(ok, { retryMs: 0 }), /retryMs must be positive, not 0/);
  await assert.rejects(publishUntilStored(ok, { maxRetryMs: 1 }), /maxRetryMs must be at least/);
  await assert.rejects(publishUntilStored(ok, { giveUpMs: -1 }), /giveUpMs must not be negative/);
});
