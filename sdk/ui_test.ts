import assert from "node:assert/strict";
import { checkEmbeds } from "./embeds.ts";
import { COMPONENTS_V2, EPHEMERAL, toMessageBody } from "./reply.ts";
import { ui } from "./ui.ts";

Deno.test("embed limits are checked with a message naming the field", () => {
  assert.throws(
    () => ui.embed({ title: "x".repeat(257) }),
    /embeds\[0\]\.title is 257 characters; Discord allows at most 256/,
  );
  assert.throws(
    () => checkEmbeds([{ fields: Array.from({ length: 26 }, () => ({ name: "n", value: "v" })) }]),
    /has 26 fields; Discord allows at most 25/,
  );
  assert.throws(
    () => checkEmbeds([{ fields: [{ name: "n", value: "" }] }]),
    /fields\[0\]\.value must not be empty/,
  );
  assert.throws(
    () => checkEmbeds([{ description: "x".repeat(4000) }, { description: "x".repeat(2001) }]),
    /6001 characters in total; Discord allows at most 6000/,
  );
  assert.throws(
    () => checkEmbeds(Array.from({ length: 11 }, () => ({}))),
    /11 embeds; Discord allows at most 10/,
  );
  assert.throws(
    () => ui.embed({ color: 0x1000000 }),
    /color must be an integer from 0 to 0xFFFFFF/,
  );
});

Deno.test("component builders produce Discord's shapes and check their limits", () => {
  assert.deepEqual(ui.row(ui.button({ customId: "a", label: "A", style: "danger", emoji: "🔥" })), {
    type: 1,
    components: [{ type: 2, style: 4, custom_id: "a", label: "A", emoji: { name: "🔥" } }],
  });
  assert.deepEqual(ui.linkButton({ url: "https://x.y", label: "L" }), {
    type: 2,
    style: 5,
    url: "https://x.y",
    label: "L",
  });
  assert.equal(ui.roleSelect({ customId: "r" }).type, 6);
  assert.equal(ui.mentionableSelect({ customId: "m" }).type, 7);
  assert.deepEqual(ui.channelSelect({ customId: "c", channelTypes: [0] }), {
    type: 8,
    custom_id: "c",
    channel_types: [0],
  });
  assert.throws(
    () =>
      ui.row(...Array.from({ length: 6 }, (_, i) => ui.button({ customId: `${i}`, label: "x" }))),
    /1-5 components, not 6/,
  );
  assert.throws(
    () => ui.row(ui.userSelect({ customId: "u" }), ui.button({ customId: "b", label: "b" })),
    /must be alone/,
  );
  assert.throws(
    () => ui.button({ customId: "x".repeat(101), label: "x" }),
    /customId must be 1-100 characters/,
  );
  assert.throws(() => ui.button({ customId: "x" }), /needs a label or an emoji/);
  assert.throws(() => ui.stringSelect({ customId: "s", options: [] }), /1-25 options/);
  const modal = ui.modal({
    customId: "m",
    title: "T",
    inputs: [ui.textInput({ customId: "t", label: "L", style: "paragraph" })],
  });
  assert.deepEqual(modal.components, [{
    type: 1,
    components: [{ type: 4, custom_id: "t", label: "L", style: 2 }],
  }]);
  assert.throws(
    () => ui.modal({ customId: "m", title: "x".repeat(46), inputs: [] }),
    /modal title must be a string of at most 45/,
  );
});

Deno.test("message bodies: ephemeral and Components V2 flags, and their conflicts", () => {
  const v2 = toMessageBody({
    components: [ui.container({ components: [ui.text("hi"), ui.separator()] })],
    ephemeral: true,
  });
  assert.equal(v2.flags, COMPONENTS_V2 | EPHEMERAL);
  assert.deepEqual(v2.components, [{
    type: 17,
    components: [{ type: 10, content: "hi" }, { type: 14, divider: true, spacing: 1 }],
  }]);
  assert.throws(
    () => toMessageBody({ content: "x", components: [ui.text("y")] }),
    /cannot also have content or embeds/,
  );
  assert.deepEqual(toMessageBody({}, { allowEmpty: true }), {});
  const section = ui.section({ texts: ["a"], accessory: ui.thumbnail("https://x/a.png") });
  assert.deepEqual(section, {
    type: 9,
    components: [{ type: 10, content: "a" }],
    accessory: { type: 11, media: { url: "https://x/a.png" } },
  });
  assert.deepEqual(ui.mediaGallery({ url: "https://x/b.png", spoiler: true }), {
    type: 12,
    items: [{ media: { url: "https://x/b.png" }, spoiler: true }],
  });
  assert.deepEqual(ui.file("attachment://a.txt"), {
    type: 13,
    file: { url: "attachment://a.txt" },
  });
});
