/**
 * The LogStore contract. The factory must make stores with a capacity of
 * `CAPACITY` records per guild so the ring behaviour can be checked.
 *
 * @module
 */

import { type LogStore, StorageInputError } from "../types.ts";
import { assert, assertEquals, assertRejects } from "./assert.ts";
import {
  type ContractCase,
  type ContractOptions,
  type Factory,
  registerContract,
} from "./harness.ts";

/** Ring size the factory must configure. */
export const CAPACITY = 5;

const cases: ContractCase<LogStore>[] = [
  {
    name: "append then recent, oldest first",
    async run(logs) {
      assertEquals(await logs.recent("g"), []);
      const a = await logs.append("g", { level: "info", message: "one" });
      const b = await logs.append("g", { level: "error", message: "two", deploymentId: "d1" });
      assertEquals(a.guildId, "g");
      assert(b.id > a.id, "ids increase");
      assertEquals(await logs.recent("g"), [a, b]);
      assertEquals(await logs.recent("g", 1), [b]);
      assertEquals(await logs.recent("other"), []);
    },
  },
  {
    name: "the ring keeps only the newest records",
    async run(logs) {
      for (let i = 0; i < 12; i++) await logs.append("g", { level: "info", message: `m${i}` });
      const recent = await logs.recent("g", 100);
      assertEquals(recent.map((r) => r.message), ["m7", "m8", "m9", "m10", "m11"]);
    },
  },
  {
    name: "since returns what followed an id",
    async run(logs) {
      const first = await logs.append("g", { level: "info", message: "a" });
      await logs.append("g", { level: "info", message: "b" });
      await logs.append("g", { level: "info", message: "c" });
      assertEquals((await logs.since("g", first.id)).map((r) => r.message), ["b", "c"]);
      assertEquals((await logs.since("g", first.id, 1)).map((r) => r.message), ["b"]);
      const last = (await logs.recent("g", 1))[0];
      assertEquals(await logs.since("g", last.id), []);
      // Records overwritten by the ring are skipped, not invented.
      for (let i = 0; i < 10; i++) await logs.append("g", { level: "debug", message: `x${i}` });
      assertEquals((await logs.since("g", first.id)).map((r) => r.message), [
        "x5",
        "x6",
        "x7",
        "x8",
        "x9",
      ]);
      await assertRejects(() => logs.since("g", "nope"), StorageInputError);
    },
  },
  {
    name: "concurrent appends each get their own id",
    async run(logs) {
      const records = await Promise.all(
        Array.from(
          { length: CAPACITY },
          (_, i) => logs.append("g", { level: "info", message: `${i}` }),
        ),
      );
      assertEquals(new Set(records.map((r) => r.id)).size, CAPACITY);
      assertEquals((await logs.recent("g")).length, CAPACITY);
    },
  },
  {
    name: "bad records are refused; long messages are cut",
    async run(logs) {
      await assertRejects(
        () => logs.append("g", { level: "loud" as "info", message: "x" }),
        StorageInputError,
        "level",
      );
      const long = await logs.append("g", { level: "info", message: "x".repeat(100_000) });
      assert(long.message.length < 100_000, "message was cut");
    },
  },
];

export function logStoreContract(
  backend: string,
  factory: Factory<LogStore>,
  options: ContractOptions = {},
): void {
  registerContract(`LogStore contract (${backend})`, factory, cases, options);
}
