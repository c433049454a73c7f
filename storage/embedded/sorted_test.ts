import { guildSortedStoreContract } from "../contract/sorted_contract.ts";
import { KvGuildSortedStore } from "./sorted.ts";

guildSortedStoreContract("embedded", async (quota) => {
  const kv = await Deno.openKv(":memory:");
  return { store: new KvGuildSortedStore(kv, quota), close: () => kv.close() };
});
