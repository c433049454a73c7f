/**
 * A script running in flora against the emulator, as a test sees it: its
 * guild, members to act as, what it sent and logged, its KV stores and a
 * clock for its cron jobs. {@linkcode loadBot} and {@linkcode testBot}
 * start one.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import type { EmulatorClient, GuildSummary } from "../emulator/mod.ts";
import type { ApiMessage } from "../emulator/types.ts";
import { messageText } from "../dev/message_text.ts";
import { type DevSession, startDevSession } from "../dev/session.ts";
import type { LogLine } from "../runtime/host/logs.ts";
import type { JsonValue } from "../storage/types.ts";
import { waitForAnswer } from "./answers.ts";
import { type TestClock, VirtualClock } from "./clock.ts";
import type { TaskInfo } from "../runtime/sandbox/protocol/mod.ts";
import {
  ActionMark,
  describeMatch,
  ExpectationError,
  matches,
  type MessageMatch,
  until,
} from "./expect.ts";
import { type MemberContext, TestMember } from "./member.ts";

/** Options of {@linkcode loadBot}. */
export interface LoadBotOptions {
  /**
   * Type-check the script against the SDK before loading it (`deno check` does that too).
   * @default {false}
   */
  check?: boolean;
  /**
   * How long `expect*` and interactions wait, ms.
   * @default {10_000}
   */
  timeoutMs?: number;
}

/** Read access to one of the guild's KV stores, as the script sees it. */
export interface TestKvStore {
  get<T extends JsonValue = JsonValue>(key: string): Promise<T | undefined>;
  /** Every entry (up to 1000), key → value. */
  entries(): Promise<Record<string, JsonValue>>;
}

/** Read access to one of the guild's sorted sets, as the script sees it. */
export interface TestSortedStore {
  score(key: string): Promise<number | null>;
  rank(key: string): Promise<number | null>;
  /** The `n` (default 10) highest-scored keys, highest first. */
  top(n?: number): Promise<{ key: string; score: number }[]>;
}

/** Your script, running in flora against the emulator. */
export class TestBot {
  readonly #mark: ActionMark;
  readonly #logs: LogLine[];
  readonly #clock: VirtualClock;
  readonly #members: MemberContext;

  /** Use {@linkcode loadBot}: it starts the session this wraps. */
  private constructor(
    readonly session: DevSession,
    readonly timeoutMs: number,
    logs: LogLine[],
    clock: VirtualClock,
    mark: ActionMark,
  ) {
    this.#logs = logs;
    this.#clock = clock;
    this.#mark = mark;
    this.#members = {
      emulator: session.emulator,
      guildId: session.guild.id,
      channel: (name) => this.channel(name),
      mark: () => this.#mark.mark(),
      answer: (interactionId) =>
        waitForAnswer(
          this.emulator,
          interactionId,
          this.timeoutMs,
          () => this.#logs.slice(-5).map((l) => `  ${l.level} ${l.message}`).join("\n"),
        ),
      hasReacted: (message, userId, emoji) => {
        const state = session.flora.emulator!.state;
        try {
          return state.message(message.channel_id, message.id).reactions.get(emoji)?.users
            .includes(userId) ?? false;
        } catch {
          return false; // an unknown message: the emulator says so when the member reacts
        }
      },
    };
  }

  /** Starts a dev session on `entry` and deploys it; see {@linkcode loadBot}. */
  static async load(entry: string, options: LoadBotOptions): Promise<TestBot> {
    const dataDir = await Deno.makeTempDir({ prefix: "flora-test-" });
    const logs: LogLine[] = [];
    let session: DevSession;
    try {
      session = await startDevSession({
        entry,
        dataDir,
        check: options.check ?? false,
        onLog: (line) => logs.push(line),
      });
    } catch (error) {
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
      throw error;
    }
    const closeSession = session.close;
    session.close = async () => {
      await closeSession();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    };
    const result = await session.deploy();
    if (!result.ok) {
      await session.close();
      throw new Error(`the script did not load: ${result.error}`);
    }
    const mark = new ActionMark();
    // The scheduler learns the jobs' first runs from now (virtual time starts at the real one).
    const clock = await VirtualClock.start(
      session.flora.cron,
      session.guild.id,
      () => mark.mark(),
      session.flora.tasks,
      () => session.flora.sandboxes.queuedEvents() + session.flora.sandboxes.inflightEvents() === 0,
    );
    return new TestBot(session, options.timeoutMs ?? 10_000, logs, clock, mark);
  }

  /** The emulator's control API (for anything the kit does not wrap). */
  get emulator(): EmulatorClient {
    return this.session.emulator;
  }

  /** The guild the script runs in (seeded: #general, #bot-commands, alice (Admin), bob (Member)). */
  get guild(): GuildSummary {
    return this.session.guild;
  }

  /** A channel's id by name (default "general"). */
  channel(name = "general"): string {
    const found = this.guild.channels.find((c) => c.name === name.replace(/^#/, ""));
    if (!found) {
      throw new ExpectationError(
        `no channel #${name}; channels: ${this.guild.channels.map((c) => "#" + c.name).join(" ")}`,
      );
    }
    return found.id;
  }

  /** A member to act as, by username ("alice" is the owner and Admin, "bob" a Member). */
  member(username: string): TestMember {
    const found = this.guild.members.find((m) => m.username === username && !m.bot);
    if (!found) {
      throw new ExpectationError(
        `no member "${username}"; members: ${
          this.guild.members.filter((m) => !m.bot).map((m) => m.username).join(", ")
        } (add one with addMember)`,
      );
    }
    return new TestMember(this.#members, found.userId, found.username);
  }

  /** Adds a new member to the guild (the bot receives GUILD_MEMBER_ADD). */
  async addMember(username: string, options: { roles?: string[] } = {}): Promise<TestMember> {
    const user = await this.emulator.createUser({ username });
    const roles = (options.roles ?? []).map((name) => {
      const role = this.guild.roles.find((r) => r.name === name);
      if (!role) throw new ExpectationError(`no role "${name}"`);
      return role.id;
    });
    await this.emulator.addMember({ guildId: this.guild.id, userId: user.id, roles });
    this.guild.members.push({ userId: user.id, username, roles, bot: false });
    return new TestMember(this.#members, user.id, username);
  }

  /** The bot's messages in a channel (default #general), oldest first. */
  async messages(channel?: string): Promise<ApiMessage[]> {
    return (await this.emulator.messages(this.channel(channel))).filter((m) => m.author.bot);
  }

  /**
   * Waits for a bot message (sent or edited since the test's last action)
   * in any channel of the guild, or in `channel`; resolves with it.
   */
  async expectMessage(
    match: MessageMatch,
    options: { channel?: string } = {},
  ): Promise<ApiMessage> {
    const since = this.#mark.at;
    const channels = options.channel
      ? [this.channel(options.channel)]
      : this.guild.channels.filter((c) => c.type === 0).map((c) => c.id);
    const recent = async () => {
      const lists = await Promise.all(channels.map((id) => this.emulator.messages(id)));
      return lists.flat().filter((m) =>
        m.author.bot && (Date.parse(m.timestamp) >= since ||
          (m.edited_timestamp !== null && Date.parse(m.edited_timestamp) >= since))
      );
    };
    return await until(
      async () => (await recent()).find((m) => matches(match, m)),
      this.timeoutMs,
      async () => {
        const seen = await recent();
        return new ExpectationError(
          `the bot sent no message matching ${describeMatch(match)} within ${this.timeoutMs} ms; ${
            seen.length
              ? `it sent:\n${
                seen.map((m) => "  " + messageText(m).replaceAll("\n", "\n  ")).join("\n")
              }`
              : "it sent nothing"
          }`,
        );
      },
    );
  }

  /** The script's log lines so far (its console, and flora's notes about it). */
  logs(): LogLine[] {
    return [...this.#logs];
  }

  /** Waits for a log line containing `text` (or matching a pattern). */
  async expectLog(match: string | RegExp): Promise<LogLine> {
    const test = (line: LogLine) =>
      typeof match === "string" ? line.message.includes(match) : match.test(line.message);
    return await until(
      () => Promise.resolve(this.#logs.find(test)),
      this.timeoutMs,
      () =>
        new ExpectationError(
          `no log line matching ${
            typeof match === "string" ? JSON.stringify(match) : match
          } within ${this.timeoutMs} ms; the log:\n${
            this.#logs.map((l) => `  ${l.level} ${l.message}`).join("\n") || "  (empty)"
          }`,
        ),
    );
  }

  /**
   * Waits until `condition` holds (e.g. a KV value the script writes from a
   * cron job or an event), polling; rejects naming `what` after the timeout.
   */
  async waitFor(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
    await until(
      async () => (await condition()) ? true : undefined,
      this.timeoutMs,
      () => new ExpectationError(`${what} did not happen within ${this.timeoutMs} ms`),
    );
  }

  /** One of the guild's KV stores (`kv("name")` in the script). */
  kv(store = "default"): TestKvStore {
    const kv = this.session.flora.guildKv;
    const guildId = this.guild.id;
    return {
      async get<T extends JsonValue = JsonValue>(key: string) {
        return (await kv.get(guildId, store, key))?.value as T | undefined;
      },
      async entries() {
        const page = await kv.list(guildId, store, { limit: 1000 });
        return Object.fromEntries(page.entries.map((e) => [e.key, e.value]));
      },
    };
  }

  /** One of the guild's sorted sets (`sorted("name")` in the script). */
  sorted(name: string): TestSortedStore {
    const store = this.session.flora.guildSorted;
    const guildId = this.guild.id;
    return {
      score: (key) => store.score(guildId, name, key),
      rank: (key) => store.rank(guildId, name, key),
      top: (n = 10) => store.top(guildId, name, n),
    };
  }

  /** The script's pending tasks (`tasks.schedule`), in the order they are due (up to 100). */
  async tasks(): Promise<TaskInfo[]> {
    return (await this.session.flora.tasks.list(this.guild.id, { limit: 100 })).tasks;
  }

  /** Virtual time for the script's cron jobs and tasks. */
  get clock(): TestClock {
    return this.#clock;
  }

  /** Redeploys the script (e.g. after the test rewrote it); KV data stays. */
  async redeploy(): Promise<void> {
    const result = await this.session.deploy();
    if (!result.ok) throw new Error(`the script did not load: ${result.error}`);
  }

  /** Stops flora and removes its data. */
  async close(): Promise<void> {
    await this.session.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * Loads a script (a path, or a `file:` URL) into flora with the emulator behind it.
 *
 * @example
 * ```ts
 * await using bot = await loadBot(new URL("./main.ts", import.meta.url));
 * await bot.member("bob").send("!ping");
 * ```
 */
export async function loadBot(
  entry: string | URL,
  options: LoadBotOptions = {},
): Promise<TestBot> {
  const path = entry instanceof URL || entry.startsWith("file:") ? fileURLToPath(entry) : entry;
  return await TestBot.load(path, options);
}

/**
 * Declares a `Deno.test` that loads the script, hands the bot to `fn`, and
 * always closes it (so Deno's leak sanitizers stay on and pass).
 *
 * @example
 * ```ts
 * testBot("answers !ping", new URL("./main.ts", import.meta.url), async (bot) => {
 *   await bot.member("bob").send("!ping");
 *   await bot.expectMessage("pong!");
 * });
 * ```
 */
export function testBot(
  name: string,
  entry: string | URL,
  fn: (bot: TestBot, t: Deno.TestContext) => Promise<void>,
  options: LoadBotOptions = {},
): void {
  Deno.test({
    name,
    async fn(t) {
      const bot = await loadBot(entry, options);
      try {
        await fn(bot, t);
      } finally {
        await bot.close();
      }
    },
  });
}
