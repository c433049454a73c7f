/**
 * The floor under flora's dispatch: the same two hops with none of flora's
 * code. A line goes over a Unix socket to a child process, which posts it
 * to a worker with no permissions; the worker notes when it arrived. Timed
 * as flora's dispatch is: sent here → handler start there, one event at a
 * time, back to back and paced.
 *
 * @module
 */

import { summarize, type Summary } from "./stats.ts";

const CHILD = new URL("./bare_hop_child.ts", import.meta.url);

/** One-way times through the bare hops, ms. */
export interface BareHopResult {
  backToBack: Summary;
  paced: Summary;
}

/** Sends `n` lines back to back, then `paced` lines `gapMs` apart. */
export async function runBareHop(n: number, paced: number, gapMs: number): Promise<BareHopResult> {
  const dir = await Deno.makeTempDir({ prefix: "flora-bench-hop-" });
  const path = `${dir}/hop.sock`;
  const listener = Deno.listen({ transport: "unix", path });
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--unstable-worker-options",
      `--allow-read=${path}`,
      `--allow-write=${path}`,
      `--allow-net=unix:${path}`,
      CHILD.href,
      path,
    ],
    stdin: "null",
    stdout: "null",
  }).spawn();
  const conn = await listener.accept();
  try {
    const encoder = new TextEncoder();
    const decoder = new TextDecoder();
    const buffer = new Uint8Array(1024);
    const once = async () => {
      const sentAt = performance.timeOrigin + performance.now();
      await conn.write(encoder.encode(`${JSON.stringify({ sentAt })}\n`));
      let text = "";
      while (!text.endsWith("\n")) {
        const read = await conn.read(buffer);
        if (read === null) throw new Error("the bare hop's child went away");
        text += decoder.decode(buffer.subarray(0, read));
      }
      return Number(text);
    };
    for (let i = 0; i < 300; i++) await once(); // warm up
    const backToBack: number[] = [];
    for (let i = 0; i < n; i++) backToBack.push(await once());
    const spaced: number[] = [];
    for (let i = 0; i < paced; i++) {
      await new Promise((r) => setTimeout(r, gapMs));
      spaced.push(await once());
    }
    return { backToBack: summarize(backToBack), paced: summarize(spaced) };
  } finally {
    conn.close();
    await child.status;
    listener.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
