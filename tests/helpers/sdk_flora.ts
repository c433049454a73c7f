/**
 * An in-process flora for SDK end-to-end tests: the real host (storage,
 * sandbox processes, event router, operations, cron) against the built-in
 * emulator, with scripts bundled by the CLI's own bundler (so source maps
 * are real) and deployed through the API. Acts as Discord users through
 * the emulator, and reads what the bot did from its action log.
 *
 * @module
 */

import { bundle } from "../../client/bundle.ts";
import { type BotAction, EmulatorClient, type SeededWorld } from "../../emulator/mod.ts";
import { specViolations } from "../../emulator/spec_conformance.ts";
import type { EmulatorState } from "../../emulator/state.ts";
import type { DispatchEvent } from "../../emulator/state_records.ts";
import type { ApiInteraction, ApiInteractionData } from "../../emulator/types.ts";
import { loadConfig } from "../../runtime/config.ts";
import { type Flora, startFlora } from "../../runtime/flora.ts";
import type { LogRecord } from "../../storage/types.ts";

/** A running flora plus the handles SDK tests use. */
export interface SdkFlora {
  flora: Flora;
  emu: EmulatorClient;
  state: EmulatorState;
  world: SeededWorld;
  dataDir: string;
  /** Bundles a script file (as `flora deploy` does) and deploys it to a guild. */
  deploy(guildId: string, path: string): Promise<{ status: number; deployment: DeploymentView }>;
  /** Writes `code` to a temp file named `name` and deploys it. */
  deployCode(
    guildId: string,
    code: string,
    name?: string,
  ): Promise<{ status: number; deployment: DeploymentView }>;
  /** The emulator's latest action sequence number (wait for actions after it). */
  lastSeq(): number;
  /** The first bot action after `since` matching `predicate` (10 s at most). */
  waitAfter(since: number, predicate: (a: BotAction) => boolean): Promise<BotAction>;
  /** Dispatches a gateway event as Discord would (through the real gateway). */
  emit(event: DispatchEvent): void;
  /** Waits for a guild log line matching `predicate` (10 s at most). */
  waitForLog(guildId: string, predicate: (r: LogRecord) => boolean): Promise<LogRecord>;
  /** Stops flora; keeps the data dir when `keepData` (to start again on it). */
  close(keepData?: boolean): Promise<void>;
}

/** A deployment as the API summarises it. */
export interface DeploymentView {
  id: string;
  revision: number;
  status: string;
  error?: string;
}

/** Starts flora in this process on `dataDir` (a fresh temp dir by default). */
export async function startSdkFlora(dataDir?: string): Promise<SdkFlora> {
  const dir = dataDir ?? await Deno.makeTempDir({ prefix: "flora-sdk-" });
  const scripts = await Deno.makeTempDir({ prefix: "flora-sdk-scripts-" });
  const config = loadConfig({
    FLORA_DATA_DIR: dir,
    FLORA_API_PORT: "0",
    FLORA_EMULATOR_PORT: "0",
    FLORA_SANDBOX_PROCESSES: "1",
  });
  const flora = await startFlora(config, {
    emulatorHeartbeatMs: 30_000,
    emulatorIdentifyIntervalMs: 0,
    spawnShardDelay: 0,
  });
  const emulator = flora.emulator!;
  const emu = new EmulatorClient(emulator.url);
  const world = emulator.seeded!;
  const deploy = async (guildId: string, path: string) => {
    const b = await bundle(path);
    const response = await fetch(`${flora.apiUrl}/deployments/${guildId}`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${flora.operatorToken}`,
        "content-type": "application/json",
      },
      body: JSON.stringify(b),
    });
    const body = await response.json();
    return { status: response.status, deployment: body.deployment as DeploymentView };
  };
  return {
    flora,
    emu,
    state: emulator.state,
    world,
    dataDir: dir,
    deploy,
    async deployCode(guildId, code, name = "script.ts") {
      const path = `${scripts}/${name}`;
      await Deno.writeTextFile(path, code);
      return await deploy(guildId, path);
    },
    lastSeq: () => emulator.actions.lastSeq,
    waitAfter: (since, predicate) =>
      emu.waitForAction((a) => a.seq > since && predicate(a), 10_000),
    emit: (event) => emulator.state.emit(event),
    async waitForLog(guildId, predicate) {
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        await flora.logs.flush();
        const found = (await flora.logs.recent(guildId, 500)).find(predicate);
        if (found) return found;
        await new Promise((r) => setTimeout(r, 25));
      }
      const lines = (await flora.logs.recent(guildId, 50)).map((l) => `${l.level}: ${l.message}`);
      throw new Error(`no matching log line within 10 s; last lines:\n${lines.join("\n")}`);
    },
    async close(keepData = false) {
      // Everything the emulator answered flora's REST calls with must match Discord's spec.
      const problems = specViolations(emulator.actions.list(), []);
      await flora.close();
      await Deno.remove(scripts, { recursive: true }).catch(() => {});
      if (!keepData) await Deno.remove(dir, { recursive: true }).catch(() => {});
      if (problems.length) throw new Error(`spec violations:\n${problems.join("\n")}`);
    },
  };
}

/** A message the bot sent to a channel (POST /channels/:id/messages). */
export function sentTo(channelId: string, match?: (body: Record<string, unknown>) => boolean) {
  return (a: BotAction) =>
    a.route === "POST /channels/:id/messages" && a.channelId === channelId && a.status < 300 &&
    (!match || match(a.body as Record<string, unknown>));
}

/** The bot's initial response to an interaction. */
export function callbackOf(interactionId: string) {
  return (a: BotAction) =>
    a.route === "POST /interactions/:id/:token/callback" && a.interactionId === interactionId;
}

/**
 * A member runs a registered context-menu command (user: type 2, message:
 * type 3) on a target through the control API, as Discord's Apps menu does;
 * resolves with the interaction id.
 */
export async function runContextMenu(
  emu: EmulatorClient,
  input: {
    guildId: string;
    channelId: string;
    userId: string;
    name: string;
    type: 2 | 3;
    targetId: string;
  },
): Promise<string> {
  const world = await emu.world();
  const command = world.guilds.find((g) => g.id === input.guildId)?.commands
    .find((c) => c.name === input.name && c.type === input.type);
  if (!command) throw new Error(`no context-menu command "${input.name}" is registered`);
  const { interactionId } = await emu.invokeContextMenu({
    guildId: input.guildId,
    channelId: input.channelId,
    userId: input.userId,
    commandId: command.id,
    targetId: input.targetId,
  });
  return interactionId;
}

function randomToken(): string {
  return `aW50ZXJhY3Rpb246${crypto.randomUUID().replaceAll("-", "")}`;
}

/**
 * Creates an interaction the control API has no shortcut for (autocomplete,
 * modal submit, context menus) the way Discord would, records it so the
 * emulator accepts the bot's answer, and dispatches INTERACTION_CREATE.
 */
export function invokeInteraction(
  state: EmulatorState,
  input: {
    guildId: string;
    channelId: string;
    userId: string;
    type: number;
    /** Discord's interaction data (options, custom_id, components, resolved, target_id…). */
    data: Record<string, unknown>;
    messageId?: string;
  },
): string {
  const member = state.memberToApi(state.member(input.guildId, input.userId));
  member.permissions = state.permissions(input.guildId, input.userId, input.channelId).toString();
  const interaction: ApiInteraction = {
    id: state.ids.next(),
    application_id: state.application.id,
    type: input.type,
    data: input.data as ApiInteractionData,
    guild_id: input.guildId,
    channel_id: input.channelId,
    channel: structuredClone(state.channel(input.channelId).channel),
    member,
    token: randomToken(),
    version: 1,
    app_permissions: state.permissions(input.guildId, state.botUser.id, input.channelId)
      .toString(),
    locale: "en-US",
    entitlements: [],
    authorizing_integration_owners: { "0": input.guildId },
    context: 0,
    attachment_size_limit: 10 * 1024 * 1024,
  };
  if (input.messageId) {
    interaction.message = state.messageToApi(state.message(input.channelId, input.messageId));
  }
  state.interactions.set(interaction.id, {
    interaction,
    createdAt: Date.now(),
    responseType: null,
    originalMessageId: null,
    responses: [],
    followupIds: [],
  });
  state.interactionsByToken.set(interaction.token, interaction.id);
  state.emit({ t: "INTERACTION_CREATE", d: interaction, guildId: input.guildId });
  return interaction.id;
}

/** Retries `check` until it stops throwing (5 s at most): for effects that follow a bot action. */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
