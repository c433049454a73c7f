/**
 * The SecretStore contract: every backend runs these cases.
 *
 * @module
 */

import { type SecretStore, StorageInputError } from "../types.ts";
import { assert, assertEquals, assertRejects } from "./assert.ts";
import {
  type ContractCase,
  type ContractOptions,
  type Factory,
  registerContract,
} from "./harness.ts";

const cases: ContractCase<SecretStore>[] = [
  {
    name: "put, reveal, list and delete",
    async run(secrets) {
      assertEquals(await secrets.reveal("g", "API_KEY"), null);
      const info = await secrets.put("g", "API_KEY", "s3cr3t ✓");
      assertEquals(info.name, "API_KEY");
      assertEquals(await secrets.reveal("g", "API_KEY"), "s3cr3t ✓");
      await secrets.put("g", "API_KEY", "rotated");
      assertEquals(await secrets.reveal("g", "API_KEY"), "rotated");
      await secrets.put("g", "A_FIRST", "");
      // Sorted by code point: "P" (0x50) comes before "_" (0x5F).
      assertEquals((await secrets.list("g")).map((s) => s.name), ["API_KEY", "A_FIRST"]);
      assert(!JSON.stringify(await secrets.list("g")).includes("rotated"), "list hides values");
      assertEquals(await secrets.delete("g", "API_KEY"), true);
      assertEquals(await secrets.delete("g", "API_KEY"), false);
      assertEquals(await secrets.reveal("g", "API_KEY"), null);
    },
  },
  {
    name: "allowed hosts are stored, listed, revealed with the value and replaced",
    async run(secrets) {
      const info = await secrets.put("g", "API_KEY", "v1", {
        allowedHosts: ["API.example.com", "*.example.org:8443"],
      });
      assertEquals(info.allowedHosts, ["api.example.com", "*.example.org:8443"]);
      assertEquals(await secrets.list("g"), [info]);
      assertEquals(await secrets.revealEntry("g", "API_KEY"), { ...info, value: "v1" });
      // A put without hosts replaces the list: the secret can no longer be sent anywhere.
      const bare = await secrets.put("g", "API_KEY", "v2");
      assertEquals(bare.allowedHosts, []);
      assertEquals((await secrets.revealEntry("g", "API_KEY"))?.allowedHosts, []);
      assertEquals(await secrets.reveal("g", "API_KEY"), "v2");
      assertEquals(await secrets.revealEntry("g", "NOPE"), null);
      await assertRejects(
        () => secrets.put("g", "API_KEY", "v", { allowedHosts: ["https://api.example.com/"] }),
        StorageInputError,
        "allowedHosts",
      );
    },
  },
  {
    name: "guilds do not see each other's secrets",
    async run(secrets) {
      await secrets.put("g1", "TOKEN", "one");
      await secrets.put("g2", "TOKEN", "two");
      assertEquals(await secrets.reveal("g1", "TOKEN"), "one");
      assertEquals(await secrets.reveal("g2", "TOKEN"), "two");
      assertEquals(await secrets.list("g3"), []);
    },
  },
  {
    name: "names and sizes are checked",
    async run(secrets) {
      for (const name of ["", "1ABC", "has-dash", "x".repeat(65)]) {
        await assertRejects(() => secrets.put("g", name, "v"), StorageInputError, "secret name");
      }
      await assertRejects(
        () => secrets.put("g", "BIG", "x".repeat(16 * 1024 + 1)),
        StorageInputError,
        "limit",
      );
    },
  },
];

export function secretStoreContract(
  backend: string,
  factory: Factory<SecretStore>,
  options: ContractOptions = {},
): void {
  registerContract(`SecretStore contract (${backend})`, factory, cases, options);
}
