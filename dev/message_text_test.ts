import assert from "node:assert/strict";
import type { ApiMessage } from "../emulator/types.ts";
import { clickables, messageText } from "./message_text.ts";

function message(fields: Partial<ApiMessage>): ApiMessage {
  return {
    id: "1",
    channel_id: "2",
    author: { id: "3", username: "flora", global_name: "Flora", bot: true } as ApiMessage["author"],
    content: "",
    timestamp: "2026-01-01T00:00:00.000+00:00",
    edited_timestamp: null,
    tts: false,
    mention_everyone: false,
    mentions: [],
    mention_roles: [],
    attachments: [],
    embeds: [],
    pinned: false,
    type: 0,
    flags: 0,
    components: [],
    ...fields,
  };
}

Deno.test("a message with an embed, buttons, a select and reactions reads as text", () => {
  const m = message({
    content: "Vote!",
    flags: 64,
    embeds: [{ title: "Poll", description: "Tulips?", fields: [{ name: "Yes", value: "1" }] }],
    components: [
      { type: 1, components: [{ type: 2, style: 3, custom_id: "yes", label: "Yes" }] },
      {
        type: 1,
        components: [{
          type: 3,
          custom_id: "season",
          placeholder: "Season",
          options: [{ label: "Spring", value: "spring" }],
        }],
      },
    ],
    reactions: [{ count: 2, emoji: { id: null, name: "🌻" } } as never],
  });
  assert.equal(
    messageText(m),
    [
      "Flora [bot, only you can see this]: Vote!",
      "  ▌ Poll",
      "  ▌ Tulips?",
      "  ▌ Yes: 1",
      "  [button Yes] (id: yes)",
      "  [select Season] (id: season): Spring=spring",
      "  🌻 2",
    ].join("\n"),
  );
  assert.deepEqual(clickables(m), [
    { customId: "yes", label: "Yes", type: 2, options: [] },
    { customId: "season", label: "Season", type: 3, options: ["spring"] },
  ]);
});

Deno.test("Components V2: containers, sections with accessories, separators", () => {
  const m = message({
    flags: 1 << 15,
    components: [{
      type: 17,
      components: [
        { type: 10, content: "## Hello" },
        { type: 14 },
        {
          type: 9,
          components: [{ type: 10, content: "Water now?" }],
          accessory: { type: 2, style: 1, custom_id: "water", label: "Water" },
        },
      ],
    }],
  });
  assert.equal(
    messageText(m),
    [
      "Flora [bot]: ",
      "  ┌ container",
      "  │ ## Hello",
      "  │ ────────",
      "  │ Water now?",
      "  │   [button Water] (id: water)",
    ].join("\n"),
  );
  assert.deepEqual(clickables(m).map((c) => c.customId), ["water"]);
});
