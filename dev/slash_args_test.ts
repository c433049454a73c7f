import assert from "node:assert/strict";
import { type DeclaredCommand, parseSlashLine, SlashParseError } from "./slash_args.ts";

const commands: DeclaredCommand[] = [
  { name: "ping" },
  {
    name: "echo",
    options: [
      { type: 3, name: "text", required: true },
      { type: 4, name: "times" },
      { type: 5, name: "loud" },
      { type: 3, name: "tone", choices: [{ name: "Calm", value: "calm" }] },
      { type: 6, name: "who" },
    ],
  },
  {
    name: "config",
    options: [
      {
        type: 2,
        name: "prefix",
        options: [{ type: 1, name: "set", options: [{ type: 3, name: "value", required: true }] }],
      },
      { type: 1, name: "show" },
    ],
  },
];

Deno.test("a command without options", () => {
  assert.deepEqual(parseSlashLine("/ping", commands), { name: "ping", options: [] });
});

Deno.test("options are typed, values may contain spaces, mentions become ids", () => {
  assert.deepEqual(
    parseSlashLine("/echo text:hello there  times:3 loud:yes tone:Calm who:<@!123>", commands),
    {
      name: "echo",
      options: [
        { name: "text", type: 3, value: "hello there" },
        { name: "times", type: 4, value: 3 },
        { name: "loud", type: 5, value: true },
        { name: "tone", type: 3, value: "calm" },
        { name: "who", type: 6, value: "123" },
      ],
    },
  );
});

Deno.test("subcommand groups and subcommands nest", () => {
  assert.deepEqual(parseSlashLine("/config prefix set value:?", commands), {
    name: "config",
    options: [{
      name: "prefix",
      type: 2,
      options: [{ name: "set", type: 1, options: [{ name: "value", type: 3, value: "?" }] }],
    }],
  });
  assert.deepEqual(parseSlashLine("/config show", commands), {
    name: "config",
    options: [{ name: "show", type: 1, options: [] }],
  });
});

Deno.test("mistakes are explained", () => {
  const cases: [string, RegExp][] = [
    ["/nope", /unknown command \/nope \(commands: \/ping, \/echo, \/config\)/],
    ["/echo times:2", /\/echo needs text:<value>/],
    ["/echo text:a times:two", /times must be a whole number/],
    ["/echo text:a loud:maybe", /loud must be true or false/],
    ["/echo text:a tone:angry", /tone must be one of: Calm/],
    ["/echo text:a colour:red", /\/echo has no option "colour"/],
    ["/config", /\/config needs a subcommand: prefix, show/],
    ["echo", /starts with \/name/],
  ];
  for (const [line, message] of cases) {
    assert.throws(() => parseSlashLine(line, commands), (e: unknown) => {
      assert.ok(e instanceof SlashParseError);
      assert.match(e.message, message);
      return true;
    }, line);
  }
});
