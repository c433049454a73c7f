/**
 * The TokenStore contract: every backend runs these cases.
 *
 * @module
 */

import { StorageInputError, type TokenStore } from "../types.ts";
import { assert, assertEquals, assertRejects } from "./assert.ts";
import {
  type ContractCase,
  type ContractOptions,
  type Factory,
  registerContract,
  waitUntilPast,
} from "./harness.ts";

const cases: ContractCase<TokenStore>[] = [
  {
    name: "create returns the secret once; verify finds the token",
    async run(tokens) {
      const { token, secret } = await tokens.create({ name: "ci", scopes: ["deploy:1"] });
      assertEquals(token.name, "ci");
      assertEquals(token.scopes, ["deploy:1"]);
      assert(secret.startsWith("flora_") && secret.includes(token.id), "secret names the token");
      assertEquals(await tokens.verify(secret), token);
      assertEquals(
        JSON.stringify(await tokens.list()).includes(secret),
        false,
        "list hides secret",
      );
    },
  },
  {
    name: "wrong, malformed and tampered secrets do not verify",
    async run(tokens) {
      const { secret } = await tokens.create({ name: "ci", scopes: [] });
      const last = secret.at(-1) === "A" ? "B" : "A";
      assertEquals(await tokens.verify(secret.slice(0, -1) + last), null);
      assertEquals(await tokens.verify(""), null);
      assertEquals(await tokens.verify("not a token"), null);
      const other = await tokens.create({ name: "other", scopes: [] });
      // Another token's random part under this token's id.
      const [, id] = secret.split("_");
      const forged = `flora_${id}_${other.secret.split("_").slice(2).join("_")}`;
      assertEquals(await tokens.verify(forged), null);
    },
  },
  {
    name: "revoked tokens stop verifying but stay listed",
    async run(tokens) {
      const { token, secret } = await tokens.create({ name: "ci", scopes: [] });
      assertEquals(await tokens.revoke(token.id), true);
      assertEquals(await tokens.revoke(token.id), false);
      assertEquals(await tokens.revoke("unknown"), false);
      assertEquals(await tokens.verify(secret), null);
      const listed = await tokens.list();
      assertEquals(listed.length, 1);
      assert(listed[0].revokedAt !== undefined, "revokedAt set");
    },
  },
  {
    name: "expired tokens stop verifying",
    async run(tokens) {
      const { token, secret } = await tokens.create({ name: "short", scopes: [], ttlMs: 5 });
      assert(token.expiresAt !== undefined, "expiresAt set");
      await waitUntilPast(Date.parse(token.expiresAt));
      assertEquals(await tokens.verify(secret), null);
    },
  },
  {
    name: "list is newest first",
    async run(tokens) {
      const names = ["a", "b", "c"];
      for (const name of names) await tokens.create({ name, scopes: [] });
      assertEquals((await tokens.list()).map((t) => t.name), ["c", "b", "a"]);
    },
  },
  {
    name: "bad input is refused",
    async run(tokens) {
      await assertRejects(() => tokens.create({ name: "", scopes: [] }), StorageInputError);
      await assertRejects(
        () => tokens.create({ name: "x", scopes: [""] }),
        StorageInputError,
        "scopes",
      );
      await assertRejects(
        () => tokens.create({ name: "x", scopes: [], ttlMs: 0 }),
        StorageInputError,
      );
    },
  },
];

export function tokenStoreContract(
  backend: string,
  factory: Factory<TokenStore>,
  options: ContractOptions = {},
): void {
  registerContract(`TokenStore contract (${backend})`, factory, cases, options);
}
