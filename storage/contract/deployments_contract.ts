/**
 * The DeploymentStore contract: every backend runs these cases.
 *
 * @module
 */

import {
  type DeploymentStore,
  type NewDeployment,
  StorageInputError,
  StorageNotFoundError,
} from "../types.ts";
import { assert, assertEquals, assertRejects } from "./assert.ts";
import {
  type ContractCase,
  type ContractOptions,
  type Factory,
  registerContract,
} from "./harness.ts";

const bundle = (code: string, sourceMap?: string) => ({
  entry: "src/main.ts",
  code,
  ...(sourceMap === undefined ? {} : { sourceMap }),
});

const input = (guildId: string, code = "export default {}"): NewDeployment => ({
  guildId,
  createdBy: "token:ci",
  bundle: bundle(code),
});

const cases: ContractCase<DeploymentStore>[] = [
  {
    name: "create stores a pending revision 1 that get returns",
    async run(store) {
      const created = await store.create({
        guildId: "g1",
        createdBy: "user:1",
        bundle: bundle("console.log(1)", '{"version":3}'),
      });
      assertEquals(created.status, "pending");
      assertEquals(created.revision, 1);
      assertEquals(created.guildId, "g1");
      assertEquals(created.createdBy, "user:1");
      assertEquals(created.bundle, bundle("console.log(1)", '{"version":3}'));
      assert(!Number.isNaN(Date.parse(created.createdAt)), "createdAt is ISO 8601");
      assertEquals(await store.get(created.id), created);
      assertEquals(await store.get("does-not-exist"), null);
    },
  },
  {
    name: "fetch hosts are normalised, stored and checked",
    async run(store) {
      const plain = await store.create(input("gf"));
      assertEquals(plain.fetchHosts, undefined);
      assertEquals((await store.get(plain.id))?.fetchHosts, undefined);
      const created = await store.create({
        ...input("gf"),
        fetchHosts: ["API.Example.com.", "*.example.org", "127.0.0.1:8080", "api.example.com"],
      });
      const hosts = ["api.example.com", "*.example.org", "127.0.0.1:8080"];
      assertEquals(created.fetchHosts, hosts);
      assertEquals((await store.get(created.id))?.fetchHosts, hosts);
      await store.setStatus(created.id, "active");
      assertEquals((await store.current("gf"))?.fetchHosts, hosts);
      assertEquals((await store.list("gf"))[0].fetchHosts, hosts);
      for (const bad of [["http://x.com"], ["x.com/path"], ["*.com"], ["a:0"], "x.com"]) {
        await assertRejects(
          () => store.create({ ...input("gf"), fetchHosts: bad as string[] }),
          StorageInputError,
          "fetchHosts",
        );
      }
      await assertRejects(
        () =>
          store.create({
            ...input("gf"),
            fetchHosts: Array.from({ length: 33 }, (_, i) => `h${i}.example.com`),
          }),
        StorageInputError,
        "at most 32",
      );
    },
  },
  {
    name: "revisions count per guild and ids sort by creation",
    async run(store) {
      const a1 = await store.create(input("ga"));
      const b1 = await store.create(input("gb"));
      const a2 = await store.create(input("ga"));
      assertEquals([a1.revision, b1.revision, a2.revision], [1, 1, 2]);
      const ids = [a1.id, b1.id, a2.id];
      assertEquals([...ids].sort(), ids);
      assertEquals(new Set(ids).size, 3);
    },
  },
  {
    name: "concurrent creates get distinct consecutive revisions",
    async run(store) {
      const created = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.create(input("race", `// ${i}`))),
      );
      const revisions = created.map((d) => d.revision).sort((a, b) => a - b);
      assertEquals(revisions, Array.from({ length: 20 }, (_, i) => i + 1));
    },
  },
  {
    name: "a 4 MiB bundle with a source map round-trips exactly",
    async run(store) {
      // Multi-byte characters make chunk boundaries fall inside UTF-8 sequences.
      const code = "const s = 'é🌸';\n".repeat(4 * 1024 * 1024 / 20);
      const sourceMap = JSON.stringify({ version: 3, mappings: "AAAA;".repeat(300_000) });
      const created = await store.create({
        guildId: "big",
        createdBy: "ci",
        bundle: bundle(code, sourceMap),
      });
      const loaded = await store.get(created.id);
      assert(loaded !== null);
      assertEquals(loaded.bundle.code.length, code.length);
      assert(loaded.bundle.code === code, "code differs");
      assert(loaded.bundle.sourceMap === sourceMap, "source map differs");
    },
  },
  {
    name: "an empty bundle and a bundle without source map round-trip",
    async run(store) {
      const created = await store.create(input("g", ""));
      const loaded = await store.get(created.id);
      assertEquals(loaded?.bundle, { entry: "src/main.ts", code: "" });
    },
  },
  {
    name: "activating supersedes the previous active deployment",
    async run(store) {
      const first = await store.create(input("g"));
      const second = await store.create(input("g"));
      assertEquals(await store.current("g"), null);
      const active1 = await store.setStatus(first.id, "active");
      assertEquals(active1.status, "active");
      assertEquals((await store.current("g"))?.id, first.id);
      await store.setStatus(second.id, "active");
      assertEquals((await store.current("g"))?.id, second.id);
      assertEquals((await store.get(first.id))?.status, "superseded");
      // Rollback: re-activating the older one supersedes the newer.
      await store.setStatus(first.id, "active");
      assertEquals((await store.current("g"))?.id, first.id);
      assertEquals((await store.get(second.id))?.status, "superseded");
    },
  },
  {
    name: "concurrent activations leave exactly one active deployment",
    async run(store) {
      const deployments = await Promise.all(
        Array.from({ length: 6 }, () => store.create(input("g"))),
      );
      await Promise.all(deployments.map((d) => store.setStatus(d.id, "active")));
      const statuses = await Promise.all(deployments.map((d) => store.get(d.id)));
      const active = statuses.filter((d) => d?.status === "active");
      assertEquals(active.length, 1);
      assertEquals((await store.current("g"))?.id, active[0]?.id);
      assertEquals(statuses.filter((d) => d?.status === "superseded").length, 5);
    },
  },
  {
    name: "failed keeps its error; the active one keeps running",
    async run(store) {
      const good = await store.create(input("g"));
      await store.setStatus(good.id, "active");
      const bad = await store.create(input("g"));
      const failed = await store.setStatus(bad.id, "failed", "SyntaxError: oops");
      assertEquals(failed.status, "failed");
      assertEquals(failed.error, "SyntaxError: oops");
      assertEquals((await store.get(bad.id))?.error, "SyntaxError: oops");
      assertEquals((await store.current("g"))?.id, good.id);
      // An error only belongs to `failed`.
      const retried = await store.setStatus(bad.id, "pending", "ignored");
      assertEquals(retried.error, undefined);
      assertEquals((await store.get(bad.id))?.error, undefined);
    },
  },
  {
    name: "recordProgress renews a pending deployment's lease and keeps its commands",
    async run(store) {
      const d = await store.create(input("gp"));
      const other = await store.create(input("gq"));
      assertEquals((await store.listPending()).map((p) => p.id), [d.id, other.id]);
      const lease = new Date(Date.now() + 30_000);
      assertEquals(await store.recordProgress(d.id, { leaseUntil: lease }), true);
      assertEquals((await store.get(d.id))?.leaseUntil, lease.toISOString());
      assertEquals((await store.get(d.id))?.commands, undefined);
      const commands = [{ name: "ping", description: "Pong", options: [{ type: 3, name: "x" }] }];
      await store.recordProgress(d.id, { leaseUntil: lease, commands });
      // A later renewal without commands keeps them.
      await store.recordProgress(d.id, { leaseUntil: new Date(lease.getTime() + 1_000) });
      assertEquals((await store.get(d.id))?.commands, commands);
      await store.setStatus(d.id, "active");
      assertEquals((await store.listPending()).map((p) => p.id), [other.id]);
      assertEquals((await store.current("gp"))?.commands, commands, "kept once active");
      await store.setStatus(other.id, "failed", "interrupted");
      assertEquals(await store.listPending(), []);
    },
  },
  {
    name: "recordProgress changes nothing once a deployment is settled",
    async run(store) {
      const d = await store.create(input("gs"));
      await store.setStatus(d.id, "failed", "broken");
      const lease = new Date(Date.now() + 30_000);
      assertEquals(await store.recordProgress(d.id, { leaseUntil: lease, commands: [] }), false);
      const after = await store.get(d.id);
      assertEquals([after?.leaseUntil, after?.commands], [undefined, undefined]);
      await assertRejects(
        () => store.recordProgress("nope", { leaseUntil: lease }),
        StorageNotFoundError,
      );
    },
  },
  {
    name: "the registered commands hash is kept per guild",
    async run(store) {
      assertEquals(await store.registeredCommands("g1"), null);
      await store.setRegisteredCommands("g1", "abc");
      await store.setRegisteredCommands("g2", "def");
      await store.setRegisteredCommands("g1", "ghi");
      assertEquals(await store.registeredCommands("g1"), "ghi");
      assertEquals(await store.registeredCommands("g2"), "def");
    },
  },
  {
    name: "taking the active deployment out of service clears current",
    async run(store) {
      const d = await store.create(input("g"));
      await store.setStatus(d.id, "active");
      await store.setStatus(d.id, "failed", "crashed on load");
      assertEquals(await store.current("g"), null);
      assertEquals(await store.listActive(), []);
    },
  },
  {
    name: "list is newest first and honours limit",
    async run(store) {
      for (let i = 0; i < 5; i++) await store.create(input("g"));
      await store.create(input("other"));
      const all = await store.list("g");
      assertEquals(all.map((d) => d.revision), [5, 4, 3, 2, 1]);
      const two = await store.list("g", { limit: 2 });
      assertEquals(two.map((d) => d.revision), [5, 4]);
      assertEquals(await store.list("nobody"), []);
      await assertRejects(() => store.list("g", { limit: 0 }), StorageInputError);
    },
  },
  {
    name: "listActive returns each guild's active deployment",
    async run(store) {
      const a = await store.create(input("ga"));
      const b1 = await store.create(input("gb"));
      const b2 = await store.create(input("gb"));
      await store.create(input("gc"));
      await store.setStatus(a.id, "active");
      await store.setStatus(b1.id, "active");
      await store.setStatus(b2.id, "active");
      const active = await store.listActive();
      assertEquals(active.map((d) => d.id).sort(), [a.id, b2.id].sort());
      assert(active.every((d) => d.status === "active" && d.bundle.code.length > 0));
    },
  },
  {
    name: "bad input is refused with StorageInputError; unknown ids with StorageNotFoundError",
    async run(store) {
      await assertRejects(() => store.create(input("")), StorageInputError, "guildId");
      await assertRejects(
        () => store.create({ guildId: "g", createdBy: "", bundle: bundle("x") }),
        StorageInputError,
        "createdBy",
      );
      const d = await store.create(input("g"));
      await assertRejects(
        () => store.setStatus(d.id, "running" as "active"),
        StorageInputError,
        "status",
      );
      await assertRejects(() => store.setStatus("nope", "active"), StorageNotFoundError);
    },
  },
  {
    name: "updatedAt moves on status change; createdAt does not",
    async run(store) {
      const d = await store.create(input("g"));
      const updated = await store.setStatus(d.id, "active");
      assertEquals(updated.createdAt, d.createdAt);
      assert(Date.parse(updated.updatedAt) >= Date.parse(d.updatedAt), "updatedAt moved back");
    },
  },
];

/** Registers the DeploymentStore contract for one backend. */
export function deploymentStoreContract(
  backend: string,
  factory: Factory<DeploymentStore>,
  options: ContractOptions = {},
): void {
  registerContract(`DeploymentStore contract (${backend})`, factory, cases, options);
}
