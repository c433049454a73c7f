/**
 * The child of `bare_hop.ts`: connects to the socket named in its first
 * argument, hands every line it reads to a worker with no permissions, and
 * writes back how long after the line's send time the worker got it.
 *
 * @module
 */

const WORKER = `self.onmessage = (e) =>
  self.postMessage(performance.timeOrigin + performance.now() - JSON.parse(e.data).sentAt);`;

const conn = await Deno.connect({ transport: "unix", path: Deno.args[0] });
const url = URL.createObjectURL(new Blob([WORKER], { type: "application/javascript" }));
const worker = new Worker(url, { type: "module", deno: { permissions: "none" } });
const encoder = new TextEncoder();
worker.onmessage = (e: MessageEvent<number>) => conn.write(encoder.encode(`${e.data}\n`));
const decoder = new TextDecoder();
const buffer = new Uint8Array(64 * 1024);
let rest = "";
while (true) {
  const n = await conn.read(buffer);
  if (n === null) break;
  const lines = (rest + decoder.decode(buffer.subarray(0, n), { stream: true })).split("\n");
  rest = lines.pop()!;
  for (const line of lines) worker.postMessage(line);
}
worker.terminate();
Deno.exit(0);
