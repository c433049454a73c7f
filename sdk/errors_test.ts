import assert from "node:assert/strict";
import { cleanStack, setScriptUrl } from "./errors.ts";

Deno.test("stack traces keep the script's frames and drop flora's, with the native calls between them", () => {
  setScriptUrl("blob:null/script-1");
  const stack = [
    "TypeError: bad",
    "    at check (blob:null/runtime-2:1:10)",
    "    at Array.forEach (<anonymous>)",
    "    at cron (blob:null/runtime-2:1:99)",
    "    at blob:null/script-1:4:7",
    "    at Array.map (<anonymous>)",
    "    at blob:null/script-1:9:1",
  ].join("\n");
  assert.equal(
    cleanStack(stack),
    [
      "TypeError: bad",
      "    at flora-script:4:7",
      "    at Array.map (<anonymous>)",
      "    at flora-script:9:1",
    ].join("\n"),
  );
});
