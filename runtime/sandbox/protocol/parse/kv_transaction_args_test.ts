import assert from "node:assert/strict";
import { parseOperationArgs } from "./operation_args.ts";

Deno.test("kv.atomic arguments keep checks and writes (set or delete) and drop the rest", () => {
  const parsed = parseOperationArgs("kv.atomic", {
    checks: [{ store: "bank", key: "a", version: "0001", guildId: "999" }],
    writes: [{ store: "bank", key: "a", value: { n: 1 } }, {
      store: "bank",
      key: "b",
      delete: true,
    }],
  });
  assert.deepEqual(parsed, {
    ok: true,
    args: {
      checks: [{ store: "bank", key: "a", version: "0001" }],
      writes: [{ store: "bank", key: "a", value: { n: 1 } }, {
        store: "bank",
        key: "b",
        delete: true,
      }],
    },
  });
});

Deno.test("kv transaction arguments are refused with where and why", () => {
  const refuse = (op: string, args: unknown, pattern: RegExp) => {
    const result = parseOperationArgs(op as never, args);
    assert.ok(!result.ok, op);
    assert.match(result.error, pattern);
  };
  const refs = Array.from({ length: 11 }, (_, i) => ({ store: "s", key: `k${i}` }));
  refuse("kv.getMany", { refs }, /args\.refs: expected a list of at most 10/);
  refuse("kv.getMany", { refs: [{ store: "flora.tasks", key: "k" }] }, /args\.refs\[0\]\.store/);
  refuse(
    "kv.atomic",
    { checks: [], writes: [{ store: "s", key: "k", value: NaN }] },
    /writes\[0\]\.value/,
  );
  refuse(
    "kv.atomic",
    { checks: [{ store: "s", key: "k", version: 3 }], writes: [] },
    /checks\[0\]\.version/,
  );
});
