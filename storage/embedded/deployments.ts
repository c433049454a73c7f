/**
 * DeploymentStore on Deno KV.
 *
 * Layout:
 * - `["deploy", "meta", id]` — the deployment without its bundle (small, rewritten on status changes)
 * - `["deploy", "code", id, i]`, `["deploy", "map", id, i]` — bundle chunks (values are capped at 64 KiB)
 * - `["deploy", "rev", guildId]` — the guild's last revision number
 * - `["deploy", "guild", guildId, revision]` — id, for newest-first listing
 * - `["deploy", "active", guildId]` — id of the guild's active deployment
 * - `["deploy", "pending", id]` — guild id, while the deployment is `pending` (for `listPending`)
 * - `["deploy", "cmds", id, i]` — chunks of the commands JSON the deploy recorded
 * - `["deploy", "registered", guildId]` — hash of the commands last sent to Discord
 * - `["deploy", "upload", id]` — start time of a create still writing chunks; removed by the
 *   commit, so leftovers mark chunks of creates a crash interrupted (see `collectOrphanChunks`)
 *
 * Chunks are written before the metadata commit (a 4 MiB bundle is larger than
 * one atomic operation may be); the deployment becomes visible only when the
 * metadata, revision counter and index commit together.
 *
 * @module
 */

import {
  checkListLimit,
  checkNewDeployment,
  checkStatus,
  DEFAULT_DEPLOYMENT_LIMITS,
  type DeploymentLimits,
  errorFor,
} from "../deployment_input.ts";
import { newId } from "../ids.ts";
import {
  type Deployment,
  type DeploymentStatus,
  type DeploymentStore,
  type JsonValue,
  type NewDeployment,
  StorageNotFoundError,
} from "../types.ts";
import { deleteChunks, readChunks, writeChunks } from "./chunks.ts";
import { AGAIN, done, retryAtomic, write } from "./retry.ts";

/** What `["deploy", "meta", id]` holds. */
interface DeploymentMeta {
  id: string;
  guildId: string;
  revision: number;
  status: DeploymentStatus;
  error?: string;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  entry: string;
  codeChunks: number;
  /** Absent when the bundle has no source map. */
  mapChunks?: number;
  /** Absent when fetch is off. */
  fetchHosts?: string[];
  leaseUntil?: string;
  /** Chunks of the commands JSON; absent until the deploy recorded them. */
  commandChunks?: number;
}

const metaKey = (id: string): Deno.KvKey => ["deploy", "meta", id];
const codeKey = (id: string): Deno.KvKey => ["deploy", "code", id];
const mapKey = (id: string): Deno.KvKey => ["deploy", "map", id];
const revKey = (guildId: string): Deno.KvKey => ["deploy", "rev", guildId];
const guildIndexKey = (guildId: string, revision: number): Deno.KvKey => [
  "deploy",
  "guild",
  guildId,
  revision,
];
const activeKey = (guildId: string): Deno.KvKey => ["deploy", "active", guildId];
const uploadKey = (id: string): Deno.KvKey => ["deploy", "upload", id];
const pendingKey = (id: string): Deno.KvKey => ["deploy", "pending", id];
const commandsKey = (id: string): Deno.KvKey => ["deploy", "cmds", id];
const registeredKey = (guildId: string): Deno.KvKey => ["deploy", "registered", guildId];

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** Deployments on a Deno KV database the caller opened (and closes). */
export class KvDeploymentStore implements DeploymentStore {
  readonly #kv: Deno.Kv;
  readonly #limits: DeploymentLimits;

  constructor(kv: Deno.Kv, limits: Partial<DeploymentLimits> = {}) {
    this.#kv = kv;
    this.#limits = { ...DEFAULT_DEPLOYMENT_LIMITS, ...limits };
  }

  async create(input: NewDeployment): Promise<Deployment> {
    const encoded = checkNewDeployment(input, this.#limits);
    const id = newId();
    const kv = this.#kv;
    try {
      await write("mark upload", () => kv.set(uploadKey(id), Date.now()));
      const codeChunks = await writeChunks(kv, codeKey(id), encoded.code);
      const mapChunks = encoded.sourceMap === null
        ? undefined
        : await writeChunks(kv, mapKey(id), encoded.sourceMap);
      const now = new Date().toISOString();
      const meta = await retryAtomic("create deployment", async () => {
        const last = await kv.get<number>(revKey(input.guildId));
        const revision = (last.value ?? 0) + 1;
        const record: DeploymentMeta = {
          id,
          guildId: input.guildId,
          revision,
          status: "pending",
          createdBy: input.createdBy,
          createdAt: now,
          updatedAt: now,
          entry: input.bundle.entry,
          codeChunks,
          ...(mapChunks === undefined ? {} : { mapChunks }),
          ...(encoded.fetchHosts.length === 0 ? {} : { fetchHosts: encoded.fetchHosts }),
        };
        // The check on the counter is what makes two concurrent creates get distinct revisions.
        const result = await kv.atomic()
          .check(last)
          .check({ key: metaKey(id), versionstamp: null })
          .set(revKey(input.guildId), revision)
          .set(metaKey(id), record)
          .set(guildIndexKey(input.guildId, revision), id)
          .set(pendingKey(id), input.guildId)
          .delete(uploadKey(id))
          .commit();
        return result.ok ? done(record) : AGAIN;
      });
      return {
        ...toDeployment(meta),
        bundle: {
          entry: input.bundle.entry,
          code: input.bundle.code,
          ...(input.bundle.sourceMap === undefined ? {} : { sourceMap: input.bundle.sourceMap }),
        },
      };
    } catch (error) {
      // Only clean up what never became visible (a commit may succeed and still report an error).
      const committed = await kv.get(metaKey(id)).then((m) => m.versionstamp !== null, () => true);
      if (!committed) await this.#deleteUpload(id).catch(() => {});
      throw error;
    }
  }

  /**
   * Deletes the chunks of creates that never committed (the process died
   * mid-upload) and started more than `olderThanMs` ago — younger ones may
   * still be in progress. Call at start; returns how many uploads it removed.
   */
  async collectOrphanChunks(olderThanMs = 60 * 60 * 1000): Promise<number> {
    const cutoff = Date.now() - olderThanMs;
    let removed = 0;
    for await (const upload of this.#kv.list<number>({ prefix: ["deploy", "upload"] })) {
      const id = upload.key[2];
      if (typeof id !== "string" || upload.value > cutoff) continue;
      const meta = await this.#kv.get(metaKey(id));
      if (meta.versionstamp === null) {
        await this.#deleteUpload(id);
        removed++;
      } else {
        await write("delete marker", () => this.#kv.delete(upload.key)); // committed; marker left
      }
    }
    return removed;
  }

  async #deleteUpload(id: string): Promise<void> {
    await deleteChunks(this.#kv, codeKey(id));
    await deleteChunks(this.#kv, mapKey(id));
    await write("delete marker", () => this.#kv.delete(uploadKey(id)));
  }

  async setStatus(id: string, status: DeploymentStatus, error?: string): Promise<Deployment> {
    const next = checkStatus(status);
    const kv = this.#kv;
    const meta = await retryAtomic("set deployment status", async () => {
      const current = await kv.get<DeploymentMeta>(metaKey(id));
      if (current.value === null) throw new StorageNotFoundError(`deployment ${id} does not exist`);
      const active = await kv.get<string>(activeKey(current.value.guildId));
      const updated: DeploymentMeta = {
        ...current.value,
        status: next,
        updatedAt: new Date().toISOString(),
      };
      const message = errorFor(next, error);
      if (message === undefined) delete updated.error;
      else updated.error = message;

      const op = kv.atomic().check(current).check(active).set(metaKey(id), updated);
      if (next === "pending") op.set(pendingKey(id), updated.guildId);
      else op.delete(pendingKey(id));
      if (next === "active") {
        op.set(activeKey(updated.guildId), id);
        if (active.value !== null && active.value !== id) {
          const previous = await kv.get<DeploymentMeta>(metaKey(active.value));
          op.check(previous);
          if (previous.value !== null) {
            op.set(metaKey(active.value), {
              ...previous.value,
              status: "superseded",
              updatedAt: updated.updatedAt,
            });
          }
        }
      } else if (active.value === id) {
        // It stops being the guild's active deployment.
        op.delete(activeKey(updated.guildId));
      }
      const result = await op.commit();
      return result.ok ? done(updated) : AGAIN;
    });
    return await this.#withBundle(meta);
  }

  async get(id: string): Promise<Deployment | null> {
    if (typeof id !== "string" || id.length === 0) return null;
    const meta = await this.#kv.get<DeploymentMeta>(metaKey(id));
    return meta.value === null ? null : await this.#withBundle(meta.value);
  }

  async current(guildId: string): Promise<Deployment | null> {
    const active = await this.#kv.get<string>(activeKey(guildId));
    return active.value === null ? null : await this.get(active.value);
  }

  async list(guildId: string, options: { limit?: number } = {}): Promise<Deployment[]> {
    const limit = checkListLimit(options.limit);
    const ids: string[] = [];
    const iter = this.#kv.list<string>(
      { prefix: ["deploy", "guild", guildId] },
      { reverse: true, limit },
    );
    for await (const entry of iter) ids.push(entry.value);
    return await this.#getAll(ids);
  }

  async listActive(): Promise<Deployment[]> {
    const ids: string[] = [];
    for await (const entry of this.#kv.list<string>({ prefix: ["deploy", "active"] })) {
      ids.push(entry.value);
    }
    return await this.#getAll(ids);
  }

  async recordProgress(
    id: string,
    progress: { leaseUntil: Date; commands?: JsonValue[] },
  ): Promise<boolean> {
    const kv = this.#kv;
    const pending = async () => {
      const current = await kv.get<DeploymentMeta>(metaKey(id));
      if (current.value === null) throw new StorageNotFoundError(`deployment ${id} does not exist`);
      return current.value.status === "pending" ? current : null;
    };
    let commandChunks: number | undefined;
    if (progress.commands !== undefined) {
      if (await pending() === null) return false;
      // Rewritten whole: a shorter list must not leave chunks of the longer one behind.
      await deleteChunks(kv, commandsKey(id));
      commandChunks = await writeChunks(
        kv,
        commandsKey(id),
        encoder.encode(JSON.stringify(progress.commands)),
      );
    }
    return await retryAtomic("record deploy progress", async () => {
      const current = await pending();
      if (current === null) return done(false);
      const updated: DeploymentMeta = {
        ...current.value,
        leaseUntil: progress.leaseUntil.toISOString(),
        ...(commandChunks === undefined ? {} : { commandChunks }),
      };
      const result = await kv.atomic().check(current).set(metaKey(id), updated).commit();
      return result.ok ? done(true) : AGAIN;
    });
  }

  async listPending(): Promise<Deployment[]> {
    const ids: string[] = [];
    for await (const entry of this.#kv.list<string>({ prefix: ["deploy", "pending"] })) {
      ids.push(String(entry.key[2]));
    }
    return await this.#getAll(ids);
  }

  async registeredCommands(guildId: string): Promise<string | null> {
    return (await this.#kv.get<string>(registeredKey(guildId))).value;
  }

  async setRegisteredCommands(guildId: string, hash: string): Promise<void> {
    await write("record registered commands", () => this.#kv.set(registeredKey(guildId), hash));
  }

  async #getAll(ids: string[]): Promise<Deployment[]> {
    const out: Deployment[] = [];
    for (const id of ids) {
      const deployment = await this.get(id);
      if (deployment !== null) out.push(deployment);
    }
    return out;
  }

  async #withBundle(meta: DeploymentMeta): Promise<Deployment> {
    const code = await readChunks(this.#kv, codeKey(meta.id), meta.codeChunks);
    const map = meta.mapChunks === undefined
      ? undefined
      : await readChunks(this.#kv, mapKey(meta.id), meta.mapChunks);
    if (code === null || map === null) {
      throw new Error(`deployment ${meta.id}: stored bundle is incomplete`);
    }
    const commands = meta.commandChunks === undefined
      ? undefined
      : await readChunks(this.#kv, commandsKey(meta.id), meta.commandChunks);
    return {
      ...toDeployment(meta),
      ...(commands ? { commands: JSON.parse(decoder.decode(commands)) as JsonValue[] } : {}),
      bundle: {
        entry: meta.entry,
        code: decoder.decode(code),
        ...(map === undefined ? {} : { sourceMap: decoder.decode(map) }),
      },
    };
  }
}

function toDeployment(meta: DeploymentMeta): Omit<Deployment, "bundle"> {
  return {
    id: meta.id,
    guildId: meta.guildId,
    revision: meta.revision,
    status: meta.status,
    ...(meta.error === undefined ? {} : { error: meta.error }),
    createdBy: meta.createdBy,
    createdAt: meta.createdAt,
    updatedAt: meta.updatedAt,
    ...(meta.fetchHosts?.length ? { fetchHosts: meta.fetchHosts } : {}),
    ...(meta.leaseUntil === undefined ? {} : { leaseUntil: meta.leaseUntil }),
  };
}
