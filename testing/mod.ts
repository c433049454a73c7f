/**
 * flora's test kit for script authors. It runs your script exactly as
 * production does — bundled, in a sandboxed worker of a sandbox process,
 * behind flora's router and host operations — against the built-in Discord
 * emulator, and lets your test act as guild members, move time forward for
 * cron jobs, and check what the bot sent, logged and stored.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { testBot } from "flora/testing";
 *
 * testBot("answers !ping", new URL("./main.ts", import.meta.url), async (bot) => {
 *   await bot.member("bob").send("!ping");
 *   await bot.expectMessage("pong!");
 *   const reply = await bot.member("bob").slash("ping");
 *   assert.equal(reply.message?.content, "pong!");
 * });
 * ```
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import type { EmulatorClient, GuildSummary, InteractionView } from "../emulator/mod.ts";
import { EmulatorClientError } from "../emulator/client.ts";
import { type ModalView, textInputs } from "../emulator/modals.ts";
import type { ApiMessage } from "../emulator/types.ts";
import { clickables, messageText } from "../dev/message_text.ts";
import { type DevSession, startDevSession } from "../dev/session.ts";
import { CRON_STORE, nextRun } from "../runtime/host/cron.ts";
import type { LogLine } from "../runtime/host/logs.ts";
import type { CronDefinition } from "../runtime/sandbox/protocol/mod.ts";
import type { JsonValue } from "../storage/types.ts";

export type { ApiMessage, LogLine, ModalView };

/** Options of {@linkcode loadBot}. */
export interface LoadBotOptions {
  /** Type-check the script against the SDK before loading it (default false: `deno check` does that). */
  check?: boolean;
  /** How long `expect*` and interactions wait, ms (default 10 000). */
  timeoutMs?: number;
}

/** How the bot answered an interaction. */
export interface InteractionReply {
  interactionId: string;
  /** Discord's callback type: 4 message, 5 deferred, 6 deferred update, 7 update, 8 autocomplete, 9 modal. */
  type: number;
  /** The message the answer created or updated (after any deferral was edited), or null. */
  message: ApiMessage | null;
  /** The modal the bot opened (type 9), or null. */
  modal: ModalView | null;
  /** Follow-up messages sent so far. */
  followups: ApiMessage[];
  /** Autocomplete suggestions (type 8), else empty. */
  choices: { name: string; value: string | number }[];
}

/** What a bot message should look like: exact content, a content pattern, or a predicate. */
export type MessageMatch = string | RegExp | ((message: ApiMessage) => boolean);

/** Something a test waited for did not happen; the message shows what did. */
export class ExpectationError extends Error {
  override name = "ExpectationError";
}

/** Named option values for a slash command: `{ question: "Tulips?", count: 2 }`. */
export type SlashOptions = Record<string, string | number | boolean>;

function matches(match: MessageMatch, message: ApiMessage): boolean {
  if (typeof match === "string") return message.content === match;
  if (match instanceof RegExp) return match.test(message.content);
  return match(message);
}

function describeMatch(match: MessageMatch): string {
  if (typeof match === "string") return JSON.stringify(match);
  if (match instanceof RegExp) return String(match);
  return "a message matching the predicate";
}

const LOADING = 1 << 7;

/** Polls `probe` until it returns a value, or throws `onTimeout()`'s error. */
async function until<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  onTimeout: () => Promise<Error> | Error,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) throw await onTimeout();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A guild member the test acts as. */
export class TestMember {
  constructor(
    readonly bot: TestBot,
    readonly userId: string,
    readonly username: string,
  ) {}

  /** Posts a message (default channel: #general); resolves with it. */
  async send(content: string, options: { channel?: string } = {}): Promise<ApiMessage> {
    this.bot.mark();
    return await this.bot.emulator.sendMessage({
      guildId: this.bot.guild.id,
      channelId: this.bot.channel(options.channel),
      userId: this.userId,
      content,
    });
  }

  /**
   * Runs a slash command and waits for the bot's answer. Name subcommands
   * with spaces: `slash("config set", { key: "prefix" })`.
   */
  async slash(
    command: string,
    options: SlashOptions = {},
    where: { channel?: string } = {},
  ): Promise<InteractionReply> {
    const { name, options: top } = await this.#options(command, options);
    this.bot.mark();
    const { interactionId } = await this.bot.emulator.invokeSlash({
      guildId: this.bot.guild.id,
      channelId: this.bot.channel(where.channel),
      userId: this.userId,
      name,
      options: top as never,
    });
    return await this.bot.answer(interactionId);
  }

  /** Resolves named option values against the registered command (subcommands by path). */
  async #options(
    command: string,
    options: SlashOptions,
    focused?: string,
  ): Promise<{ name: string; options: unknown[] }> {
    const [name, ...path] = command.trim().split(/\s+/);
    const world = await this.bot.emulator.world();
    const registered = world.guilds.find((g) => g.id === this.bot.guild.id)?.commands
      .find((c) => c.name === name);
    if (!registered) {
      throw new ExpectationError(
        `/${name} is not registered; the script registered: ${
          world.guilds.find((g) => g.id === this.bot.guild.id)?.commands.map((c) => "/" + c.name)
            .join(", ") || "nothing"
        }`,
      );
    }
    type Declared = { name: string; type: number; options?: Declared[] };
    let declared = (registered.options ?? []) as Declared[];
    const chain: { name: string; type: number; options: unknown[] }[] = [];
    for (const part of path) {
      const sub = declared.find((o) => o.name === part && (o.type === 1 || o.type === 2));
      if (!sub) throw new ExpectationError(`/${name} has no subcommand "${part}"`);
      chain.push({ name: sub.name, type: sub.type, options: [] });
      declared = sub.options ?? [];
    }
    const given = Object.entries(options).map(([key, value]) => {
      const option = declared.find((o) => o.name === key);
      if (!option) {
        throw new ExpectationError(
          `/${command} has no option "${key}" (options: ${
            declared.map((o) => o.name).join(", ") || "none"
          })`,
        );
      }
      return key === focused
        ? { name: key, type: option.type, value: String(value), focused: true }
        : { name: key, type: option.type, value };
    });
    let top: unknown[] = given;
    for (let i = chain.length - 1; i >= 0; i--) {
      chain[i].options = top;
      top = [chain[i]];
    }
    return { name, options: top };
  }

  /**
   * Types into an option marked `autocomplete` (`focused`, its text in
   * `options`) and resolves with the script's suggestions.
   */
  async autocomplete(
    command: string,
    options: SlashOptions,
    focused: string,
    where: { channel?: string } = {},
  ): Promise<{ name: string; value: string | number }[]> {
    if (!(focused in options)) options = { ...options, [focused]: "" };
    const { name, options: given } = await this.#options(command, options, focused);
    const { interactionId } = await this.bot.emulator.invokeAutocomplete({
      guildId: this.bot.guild.id,
      channelId: this.bot.channel(where.channel),
      userId: this.userId,
      name,
      options: given as never,
    });
    const reply = await this.bot.answer(interactionId);
    return reply.choices;
  }

  /** Toggles this member's reaction (a Unicode emoji) on a message, as clicking it does. */
  async react(message: ApiMessage, emoji: string): Promise<void> {
    this.bot.mark();
    const state = this.bot.session.flora.emulator!.state;
    const reacted = state.channels.get(message.channel_id)?.messages.get(message.id)?.reactions
      .get(emoji)?.users.includes(this.userId) ?? false;
    const target = {
      channelId: message.channel_id,
      messageId: message.id,
      userId: this.userId,
      emoji,
    };
    if (reacted) await this.bot.emulator.removeReaction(target);
    else await this.bot.emulator.addReaction(target);
  }

  /** Clicks the button labelled `target` (or with that custom id) on `message`. */
  async click(message: ApiMessage, target: string): Promise<InteractionReply> {
    return await this.#invoke(message, target);
  }

  /** Picks `values` in the select menu `target` (placeholder or custom id) on `message`. */
  async select(message: ApiMessage, target: string, values: string[]): Promise<InteractionReply> {
    return await this.#invoke(message, target, values);
  }

  /** Fills and submits the modal the bot opened in `reply`. */
  async submitModal(
    reply: InteractionReply,
    values: Record<string, string>,
  ): Promise<InteractionReply> {
    if (!reply.modal) {
      throw new ExpectationError(`the bot answered with type ${reply.type}, not a modal`);
    }
    this.bot.mark();
    const response = await fetch(
      `${this.bot.session.flora.emulator!.controlUrl}/interactions/modal`,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ interactionId: reply.interactionId, values }),
      },
    );
    const body = await response.json();
    if (!response.ok) {
      const fields = textInputs(reply.modal.components).map((f) => f.custom_id).join(", ");
      throw new ExpectationError(
        `the modal refused the values (${JSON.stringify(body)}); its fields: ${fields}`,
      );
    }
    return await this.bot.answer(body.interactionId);
  }

  async #invoke(message: ApiMessage, target: string, values?: string[]): Promise<InteractionReply> {
    const found = clickables(message).find((c) =>
      c.customId === target || c.label.toLowerCase() === target.toLowerCase()
    );
    if (!found) {
      throw new ExpectationError(
        `the message has no component "${target}"; it has: ${
          clickables(message).map((c) => `${c.label} (${c.customId})`).join(", ") || "none"
        }`,
      );
    }
    this.bot.mark();
    const { interactionId } = await this.bot.emulator.invokeComponent({
      channelId: message.channel_id,
      messageId: message.id,
      userId: this.userId,
      customId: found.customId,
      componentType: found.type,
      values,
    });
    return await this.bot.answer(interactionId);
  }
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

/** Virtual time for cron jobs. */
export interface TestClock {
  /** The current virtual time. */
  now(): Date;
  /**
   * Moves time forward by `ms` (or "90s", "15m", "2h", "1d"), firing each
   * cron run that falls due on the way, in order, through flora's scheduler.
   * Resolves with the runs it fired, oldest first.
   */
  advance(by: number | string): Promise<{ name: string; at: Date }[]>;
  /** Moves time forward to `time` (never back), firing what falls due on the way. */
  advanceTo(time: Date): Promise<{ name: string; at: Date }[]>;
}

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds in `90s`, `15m`, `2h`, `1d` or a number. */
export function parseDuration(by: number | string): number {
  if (typeof by === "number") {
    if (!Number.isFinite(by) || by < 0) throw new RangeError("a duration must be ≥ 0 ms");
    return by;
  }
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(by.trim());
  if (!match) throw new RangeError(`"${by}" is not a duration like 90s, 15m, 2h or 1d`);
  return Number(match[1]) * UNITS[match[2]];
}

/** Your script, running in flora against the emulator. */
export class TestBot {
  #mark = 0;
  #now: number;
  #logs: LogLine[] = [];

  private constructor(
    readonly session: DevSession,
    readonly timeoutMs: number,
    logs: LogLine[],
  ) {
    this.#logs = logs;
    this.#now = Date.now();
  }

  /** @internal Starts the session and deploys; use {@linkcode loadBot}. */
  static async start(entry: string, options: LoadBotOptions): Promise<TestBot> {
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
    const bot = new TestBot(session, options.timeoutMs ?? 10_000, logs);
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
    // The scheduler learns the jobs' first runs from now (virtual time starts at the real one).
    bot.#now = Date.now();
    await session.flora.cron.tick(new Date(bot.#now));
    return bot;
  }

  /** The emulator's control API (for anything the kit does not wrap). */
  get emulator(): EmulatorClient {
    return this.session.emulator;
  }

  /** The guild the script runs in (seeded: #general, #bot-commands, alice (Admin), bob (Member)). */
  get guild(): GuildSummary {
    return this.session.guild;
  }

  /** @internal Remembers "now" as the start of what `expectMessage` looks at. */
  mark(): void {
    this.#mark = Date.now();
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
    return new TestMember(this, found.userId, found.username);
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
    return new TestMember(this, user.id, username);
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
    const since = this.#mark;
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

  /** Virtual time for the script's cron jobs. */
  get clock(): TestClock {
    const advanceTo = async (time: Date) => {
      const target = time.getTime();
      if (!Number.isFinite(target)) throw new RangeError("advanceTo needs a valid date");
      if (target < this.#now) {
        throw new RangeError(
          `time only moves forward: ${time.toISOString()} is before ${
            new Date(this.#now).toISOString()
          }`,
        );
      }
      const fired: { name: string; at: Date }[] = [];
      const schedules = await this.#cronSchedules();
      this.mark();
      // Visit each instant a job falls due on the way (not every minute: years stay fast).
      let t = this.#now;
      while (schedules.length > 0) {
        const next = Math.min(
          ...schedules.map((s) => nextRun(s, new Date(t))?.getTime() ?? Infinity),
        );
        if (next > target) break;
        for (const run of await this.session.flora.cron.tick(new Date(next))) {
          if (run.guildId === this.guild.id) fired.push({ name: run.name, at: new Date(next) });
        }
        t = next;
      }
      this.#now = target;
      return fired;
    };
    return {
      now: () => new Date(this.#now),
      advance: (by) => advanceTo(new Date(this.#now + parseDuration(by))),
      advanceTo,
    };
  }

  /** The schedules of the running deployment's cron jobs, as the scheduler stored them. */
  async #cronSchedules(): Promise<string[]> {
    const deployment = this.session.flora.sandboxes.activeDeployment(this.guild.id);
    if (!deployment) return [];
    const entry = await this.session.flora.guildKv.get(
      this.guild.id,
      CRON_STORE,
      `deployment:${deployment.id}`,
    );
    const jobs = (entry?.value ?? []) as unknown as CronDefinition[];
    return [...new Set(jobs.map((job) => job.schedule))];
  }

  /** @internal Waits until the interaction is answered (deferrals resolved) and describes the answer. */
  async answer(interactionId: string): Promise<InteractionReply> {
    const view = await until<InteractionView>(
      async () => {
        const v = await this.emulator.interaction(interactionId);
        if (v.responseType === null) return undefined;
        const loading = v.originalMessage && (v.originalMessage.flags & LOADING) !== 0;
        // A deferred message answer is done once its placeholder was edited.
        if (v.responseType === 5 && loading) return undefined;
        if (v.responseType === 6 && !v.responses.some((r) => r.kind === "edit")) {
          return undefined;
        }
        return v;
      },
      this.timeoutMs,
      () => {
        const log = this.#logs.slice(-5).map((l) => `  ${l.level} ${l.message}`).join("\n");
        return new ExpectationError(
          `the bot did not answer interaction ${interactionId} within ${this.timeoutMs} ms${
            log ? `; the log ends with:\n${log}` : ""
          }`,
        );
      },
    );
    const callback = view.responses.find((r) => r.kind === "callback");
    const body = callback?.body as
      | { data?: ModalView & { choices?: { name: string; value: string | number }[] } }
      | undefined;
    return {
      interactionId,
      type: view.responseType!,
      message: view.originalMessage,
      modal: view.responseType === 9 && body?.data ? body.data : null,
      followups: view.followups,
      choices: view.responseType === 8 ? body?.data?.choices ?? [] : [],
    };
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

/** Loads a script (a path, or a `file:` URL) into flora with the emulator behind it. */
export async function loadBot(
  entry: string | URL,
  options: LoadBotOptions = {},
): Promise<TestBot> {
  const path = entry instanceof URL || entry.startsWith("file:") ? fileURLToPath(entry) : entry;
  return await TestBot.start(path, options);
}

/**
 * Declares a `Deno.test` that loads the script, hands the bot to `fn`, and
 * always closes it (so Deno's leak sanitizers stay on and pass).
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

export { EmulatorClientError };
