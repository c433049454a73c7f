import assert from "node:assert/strict";
import { FLORA_ROLES, isSingleProcess, parseRoles } from "./roles.ts";
import { ClusterConfigError } from "./settings.ts";

Deno.test("parseRoles reads all, absent and empty as every role", () => {
  for (const text of [undefined, "", " all ", "ALL"]) {
    assert.deepEqual([...parseRoles(text)], [...FLORA_ROLES]);
    assert.ok(isSingleProcess(parseRoles(text)));
  }
});

Deno.test("parseRoles reads a comma list, ignoring spaces and case", () => {
  assert.deepEqual([...parseRoles("gateway")], ["gateway"]);
  assert.deepEqual([...parseRoles(" Runtime , api ")], ["runtime", "api"]);
  assert.ok(!isSingleProcess(parseRoles("gateway,runtime")));
  assert.ok(isSingleProcess(parseRoles("api,runtime,gateway")));
});

Deno.test("parseRoles refuses unknown, repeated, empty and mixed-with-all roles, saying what to use", () => {
  const cases: [string, RegExp][] = [
    ["gatway", /unknown role "gatway"; use "all" or a comma list of gateway, runtime, api/],
    ["runtime,runtime", /lists "runtime" twice/],
    ["gateway,", /empty item/],
    ["all,api", /"all" cannot be combined/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseRoles(text), (error: unknown) => {
      assert.ok(error instanceof ClusterConfigError);
      assert.match(error.message, message);
      return true;
    });
  }
});
