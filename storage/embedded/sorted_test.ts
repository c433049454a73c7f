import { guildSortedStoreContract } from "../contract/sorted_contract.ts";
import { CheckedSortedStore } from "../sorted_store.ts";
import { KvSortedBackend } from "./sorted.ts";

guildSortedStoreContract("embedded", async (quota) => {
  const kv = await Deno.openKv(":memory:");
  return { store: new CheckedSortedStore(new KvSortedBackend(kv), quota), close: () => kv.close() };
});
