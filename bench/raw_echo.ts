/**
 * The physical limit: a worker (no permissions, as flora's) that echoes
 * every message straight back, driven from this thread with postMessage.
 * Round trip one at a time (back to back, and paced like flora's one-event
 * runs, so that both sides pay the same thread wake-ups), then the
 * pipelined rate with many in flight.
 *
 * @module
 */

import { summarize, type Summary } from "./stats.ts";

const ECHO = `self.onmessage = (e) => self.postMessage(e.data);`;

/** What the raw echo measured. */
export interface RawEchoResult {
  /** One message at a time, host → worker → host, back to back, µs. */
  roundTripUs: Summary;
  /**
   * One message at a time, `gapMs` apart, µs: the worker's thread is asleep
   * when each arrives, as flora's are between the reply run's messages.
   */
  pacedRoundTripUs: Summary;
  gapMs: number;
  /** Messages per second with up to `window` in flight. */
  pipelinedPerSec: number;
}

/** A payload shaped like a MESSAGE_CREATE dispatch, so cloning costs the same. */
export function samplePayload(n: number) {
  return {
    v: 2,
    type: "event",
    id: n,
    name: "messageCreate",
    payload: {
      id: String(700000000000000000n + BigInt(n)),
      channel_id: "200000000000000001",
      guild_id: "100000000000000001",
      author: { id: "300000000000000001", username: "alice", discriminator: "0" },
      content: "hello world",
      timestamp: new Date(0).toISOString(),
      mentions: [],
      attachments: [],
      embeds: [],
    },
  };
}

/** Runs the raw echo benchmark. */
export async function runRawEcho(
  roundTrips = 5_000,
  pipelined = 200_000,
  paced = 150,
  gapMs = 30,
): Promise<RawEchoResult> {
  const url = URL.createObjectURL(new Blob([ECHO], { type: "application/javascript" }));
  const worker = new Worker(url, { type: "module", deno: { permissions: "none" } });
  try {
    let resolve: (() => void) | null = null;
    let received = 0;
    worker.onmessage = () => {
      received++;
      resolve?.();
    };
    const next = () => new Promise<void>((r) => (resolve = r));
    // Warm up.
    for (let i = 0; i < 500; i++) {
      const p = next();
      worker.postMessage(samplePayload(i));
      await p;
    }
    const roundTrip = async (i: number) => {
      const p = next();
      const start = performance.now();
      worker.postMessage(samplePayload(i));
      await p;
      return (performance.now() - start) * 1000;
    };
    const samples: number[] = [];
    for (let i = 0; i < roundTrips; i++) samples.push(await roundTrip(i));
    const pacedSamples: number[] = [];
    for (let i = 0; i < paced; i++) {
      await new Promise((r) => setTimeout(r, gapMs));
      pacedSamples.push(await roundTrip(i));
    }
    received = 0;
    const window = 1_000;
    let sent = 0;
    const start = performance.now();
    while (received < pipelined) {
      while (sent < pipelined && sent - received < window) {
        worker.postMessage(samplePayload(sent++));
      }
      await next();
    }
    const seconds = (performance.now() - start) / 1000;
    return {
      roundTripUs: summarize(samples),
      pacedRoundTripUs: summarize(pacedSamples),
      gapMs,
      pipelinedPerSec: Math.round(pipelined / seconds),
    };
  } finally {
    worker.terminate();
    URL.revokeObjectURL(url);
  }
}
