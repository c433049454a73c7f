import { assertEquals, assertRejects } from "./contract/assert.ts";
import { SecretCipher, SecretDecryptError } from "./secrets_crypto.ts";
import { StorageInputError } from "./types.ts";

const cipher = await SecretCipher.fromRawKey(crypto.getRandomValues(new Uint8Array(32)));

Deno.test("SecretCipher: round-trips and uses a fresh IV every time", async () => {
  const a = await cipher.seal("g", "NAME", "value ✓");
  const b = await cipher.seal("g", "NAME", "value ✓");
  assertEquals(await cipher.open("g", "NAME", a), "value ✓");
  assertEquals(a.iv.length, 12);
  assertEquals(a.ciphertext.length, new TextEncoder().encode("value ✓").length + 16);
  assertEquals(a.iv.every((byte, i) => byte === b.iv[i]), false);
});

Deno.test("SecretCipher: a ciphertext moved to another guild or name does not decrypt", async () => {
  const sealed = await cipher.seal("g1", "TOKEN", "secret");
  await assertRejects(() => cipher.open("g2", "TOKEN", sealed), SecretDecryptError);
  await assertRejects(() => cipher.open("g1", "OTHER", sealed), SecretDecryptError);
  const tampered = { ...sealed, ciphertext: sealed.ciphertext.map((b, i) => i === 0 ? b ^ 1 : b) };
  await assertRejects(() => cipher.open("g1", "TOKEN", tampered), SecretDecryptError);
});

Deno.test("SecretCipher: refuses keys that are not 32 bytes of base64", async () => {
  await assertRejects(() => SecretCipher.fromBase64("c2hvcnQ="), StorageInputError, "32 bytes");
  await assertRejects(() => SecretCipher.fromBase64("%%%"), StorageInputError, "base64");
});

Deno.test("SecretCipher: a widened host list does not decrypt", async () => {
  const sealed = await cipher.seal("g", "TOKEN", "v", ["api.example.com"]);
  assertEquals(await cipher.open("g", "TOKEN", sealed, ["api.example.com"]), "v");
  await assertRejects(
    () => cipher.open("g", "TOKEN", sealed, ["api.example.com", "evil.example"]),
    SecretDecryptError,
  );
  await assertRejects(() => cipher.open("g", "TOKEN", sealed), SecretDecryptError);
});
