/**
 * Test helpers for flora clusters run as separate processes: the shared
 * environment of a cluster on the test PostgreSQL and NATS servers (with its
 * own schema and bus prefix, removed afterwards), a gateway node process,
 * deploys through a node's API, and a reading of the emulator's action log
 * that counts the replies to each message.
 *
 * @module
 */

import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import type { EmulatorClient } from "../../emulator/client.ts";
import { removeEventBus } from "../../runtime/cluster/event_bus.ts";
import {
  TEST_DATABASE_URL,
  TEST_NATS_URL,
  uniqueName,
  withTestSql,
} from "../../storage/testing/servers.ts";
import type { EmulatorProcess } from "./emulator_process.ts";

const ROOT = new URL("../../", import.meta.url);

/** Waits until `check` holds, polling every 100 ms. */
export async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** One cluster's environment: every node gets `env`; `remove` drops its schema and bus. */
export interface ClusterEnv {
  env: Record<string, string>;
  prefix: string;
  operatorToken: string;
  remove(): Promise<void>;
}

/** The environment every node of a test cluster shares, pointed at `emulator`. */
export function clusterEnv(
  emulator: Pick<EmulatorProcess, "token" | "restBase">,
  partitions = 8,
): ClusterEnv {
  const schema = uniqueName("flora_cluster");
  const prefix = uniqueName("t");
  const operatorToken = `op-${uniqueName("token")}`;
  return {
    prefix,
    operatorToken,
    env: {
      DISCORD_TOKEN: emulator.token,
      DISCORD_API_URL: emulator.restBase,
      NATS_URL: TEST_NATS_URL,
      DATABASE_URL: TEST_DATABASE_URL,
      FLORA_POSTGRES_SCHEMA: schema,
      FLORA_SECRETS_KEY: btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32)))),
      FLORA_GUILD_KV: "postgres",
      FLORA_BUS_PREFIX: prefix,
      FLORA_PARTITIONS: String(partitions),
      FLORA_OPERATOR_TOKEN: operatorToken,
      FLORA_SANDBOX_PROCESSES: "1",
      FLORA_SANDBOX_STANDBY: "0",
    },
    async remove() {
      await withTestSql((sql) => sql.unsafe(`drop schema if exists ${schema} cascade`));
      const nc = await connect({ servers: TEST_NATS_URL });
      await removeEventBus(nc, prefix).finally(() => nc.close());
    },
  };
}

/** A gateway node (`FLORA_ROLE=gateway`) as a child process. */
export interface GatewayProcess {
  pid: number;
  output(): string;
  /** SIGTERM, and waits for the exit. */
  stop(): Promise<void>;
  /** SIGKILL, and waits for the exit. */
  kill(): Promise<void>;
}

/** Starts `runtime/main.ts` as a gateway node and waits until it publishes. */
export async function startGatewayProcess(env: Record<string, string>): Promise<GatewayProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "runtime/main.ts"],
    cwd: ROOT,
    // The emulator process runs with `--identify-interval=0`: no identify limit to wait out.
    env: { NO_COLOR: "1", FLORA_ROLE: "gateway", FLORA_SHARD_SPAWN_DELAY_MS: "0", ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const decoder = new TextDecoder();
  const pumps = Promise.all([child.stdout, child.stderr].map(async (stream) => {
    for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
  }));
  const end = async (signal: Deno.Signal) => {
    try {
      child.kill(signal);
    } catch { /* exited already */ }
    await child.status;
    await pumps;
  };
  for (let i = 0; !text.includes("flora gateway node"); i++) {
    if (i > 600) {
      await end("SIGKILL");
      throw new Error(`gateway node did not start:\n${text}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    pid: child.pid,
    output: () => text,
    stop: () => end("SIGTERM"),
    kill: () => end("SIGKILL"),
  };
}

/** Deploys `code` to each guild through a node's API (201 expected). */
export async function deployAll(
  apiUrl: string,
  operatorToken: string,
  guildIds: string[],
  code: unknown,
): Promise<void> {
  for (const guildId of guildIds) {
    const response = await fetch(`${apiUrl}/deployments/${guildId}`, {
      method: "POST",
      headers: { authorization: `Bearer ${operatorToken}`, "content-type": "application/json" },
      body: JSON.stringify(code),
    });
    assert.equal(response.status, 201, await response.text());
  }
}

/** The part of a message the bot created that {@linkcode ReplyLog} reads. */
export interface MessageBody {
  content?: string;
  message_reference?: { message_id?: string };
}

/** One reply the bot sent, as the emulator logged it. */
interface Reply {
  /** The message it answers. */
  target: string;
  /** The message created (the same id when `enforce_nonce` returned an earlier one). */
  created: string;
  guildId?: string;
  /** Emulator clock, ms since the epoch. */
  at: number;
}

/**
 * The bot's replies in the emulator's action log from a point on, read
 * incrementally: distinct messages created per message answered (what a
 * user sees), and raw posts (a handler run again posts again; its enforced
 * nonce makes Discord return the message it already created).
 */
export class ReplyLog {
  readonly replies: Reply[] = [];
  #since: number;

  private constructor(
    readonly emu: EmulatorClient,
    since: number,
    readonly targetOf: (body: MessageBody | null) => string | undefined,
  ) {
    this.#since = since;
  }

  /**
   * Starts reading after everything logged so far. `targetOf` says which message a message
   * the bot created answers (by default: the one it replies to).
   */
  static async from(
    emu: EmulatorClient,
    targetOf: (body: MessageBody | null) => string | undefined = (body) =>
      body?.message_reference?.message_id,
  ): Promise<ReplyLog> {
    return new ReplyLog(emu, (await emu.actions()).at(-1)?.seq ?? 0, targetOf);
  }

  /** Reads what was logged since the last read. */
  async read(): Promise<void> {
    for (const action of await this.emu.actions({ since: this.#since })) {
      this.#since = action.seq;
      const target = this.targetOf(action.body as MessageBody | null);
      const created = (action.response as { id?: string } | undefined)?.id;
      if (action.route !== "POST /channels/:id/messages" || action.status >= 300) continue;
      if (target && created) {
        this.replies.push({ target, created, guildId: action.guildId, at: action.at });
      }
    }
  }

  /** Distinct messages created in answer to each message. */
  answers(): Map<string, number> {
    const created = new Map<string, Set<string>>();
    for (const reply of this.replies) {
      let set = created.get(reply.target);
      if (!set) created.set(reply.target, set = new Set());
      set.add(reply.created);
    }
    return new Map([...created].map(([target, set]) => [target, set.size]));
  }

  /** Waits until every message in `sent` has an answer; then asserts each has exactly one. */
  async assertAnsweredOnce(sent: string[], timeoutMs = 60_000): Promise<void> {
    const ids = new Set(sent);
    const answered = () => [...this.answers().keys()].filter((id) => ids.has(id)).length;
    await until(`every message answered (${sent.length})`, async () => {
      await this.read();
      return answered() === ids.size;
    }, timeoutMs).catch((error) => {
      throw new Error(`${error.message}: ${answered()} of ${ids.size} answered`);
    });
    await new Promise((r) => setTimeout(r, 1_000)); // a second answer would come by now
    await this.read();
    const answers = this.answers();
    const twice = sent.filter((id) => answers.get(id) !== 1);
    assert.deepEqual(twice, [], "every message answered exactly once");
  }

  /** Raw reply posts beyond one per message answered (handlers run again, deduplicated). */
  reposts(): number {
    return this.replies.length - this.answers().size;
  }
}
