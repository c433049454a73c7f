import assert from "node:assert/strict";
import { commandsFingerprint } from "./command_sync.ts";

Deno.test("command fingerprints ignore order and what Discord adds, but see real changes", () => {
  const ours = [
    { name: "b", description: "B", type: 1, options: [{ type: 3, name: "x", description: "X" }] },
    { name: "a", description: "A", type: 1 },
  ];
  const discords = [
    {
      id: "1",
      application_id: "2",
      version: "3",
      name: "a",
      description: "A",
      type: 1,
      default_member_permissions: null,
    },
    {
      id: "4",
      name: "b",
      description: "B",
      type: 1,
      options: [{ type: 3, name: "x", description: "X", required: false }],
    },
  ];
  assert.equal(commandsFingerprint(ours), commandsFingerprint(discords as never));
  const changed = [{ ...ours[0], description: "B2" }, ours[1]];
  assert.notEqual(commandsFingerprint(changed), commandsFingerprint(discords as never));
});
