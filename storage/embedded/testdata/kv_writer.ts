/**
 * Child process for the kill test: writes guild KV entries as fast as it
 * can and prints each key once the store has acknowledged it.
 */
import { openEmbeddedStorage } from "../open.ts";

const [dataDir] = Deno.args;
const storage = await openEmbeddedStorage(dataDir);
const encoder = new TextEncoder();
for (let i = 0;; i++) {
  const key = `k${i}`;
  await storage.guildKv.set("100000000000000001", "burst", key, { i, text: "x".repeat(i % 500) });
  await Deno.stdout.write(encoder.encode(`${key}\n`));
}
