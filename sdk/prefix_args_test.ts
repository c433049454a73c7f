import assert from "node:assert/strict";
import { parsePrefixArgs, usage, UsageError } from "./prefix_args.ts";
import { parseArgs } from "./args.ts";

const spec = [
  { name: "user", type: "user" },
  { name: "days", type: "integer", required: false },
  { name: "reason", type: "rest", required: false },
] as const;

function parse(text: string) {
  return parsePrefixArgs(spec, parseArgs(text), text);
}

Deno.test("prefix args are parsed into typed values; rest keeps the raw text", () => {
  assert.deepEqual(parse(`<@!123> 7 being "rude" twice`), {
    user: "123",
    days: 7,
    reason: `being "rude" twice`,
  });
  assert.deepEqual(parse(`123`), { user: "123", days: undefined, reason: undefined });
});

Deno.test("prefix args that do not fit explain what is wrong", () => {
  assert.throws(
    () => parse(``),
    (e: Error) => e instanceof UsageError && /user is missing/.test(e.message),
  );
  assert.throws(() => parse(`bob`), /user must be a user mention or id, not "bob"/);
  assert.throws(() => parse(`<@1> 2.5`), /days must be a whole number/);
  assert.throws(
    () => parsePrefixArgs([{ name: "n", type: "number" }], ["1", "2"], "1 2"),
    /too many arguments/,
  );
  assert.equal(usage("!", "ban", spec), "!ban <user:user> [days:integer] [reason...]");
});
