/**
 * The connection to Discord (or the emulator): a Discordeno bot whose
 * gateway hands every payload to the event router, and whose REST manager
 * carries out scripts' operations.
 *
 * @module
 */

import { type Bot, createBot, type DiscordenoShard, GatewayIntents } from "@discordeno/bot";
import type { GatewayPayload } from "./event_router.ts";
import { type FrameRoute, frameRoute } from "./frame_route.ts";

/** Intents flora asks for: what scripts' events need. */
export const FLORA_INTENTS = GatewayIntents.Guilds |
  GatewayIntents.GuildMessages |
  GatewayIntents.MessageContent |
  GatewayIntents.GuildMembers |
  GatewayIntents.GuildMessageReactions;

export interface GatewayOptions {
  token: string;
  /** REST base URL without `/v10` (the emulator's `…/api`); Discord's when absent. */
  restBase?: string;
  /**
   * Receives every gateway payload, with the shard's session id (a RESUME keeps it, so
   * `sessionId:s` names one dispatch for good) and, when it came as text, the frame's JSON
   * text as received (forwarded to workers as is, see `protocol/event_frames.ts`). Must not
   * throw.
   */
  onPayload(payload: GatewayPayload, shardId: number, sessionId?: string, frame?: string): void;
  /**
   * Offered each dispatch that came as text and whose routing fields its frame states plainly
   * (`frame_route.ts`), before Discordeno parses it: true when it was taken (it then never
   * reaches `onPayload`; the shard's sequence and heartbeat bookkeeping is done here), false to
   * have it parsed and given to `onPayload` as usual. Must not throw.
   */
  onFrame?(route: FrameRoute, shardId: number, frame: string): boolean;
  /** Delay between shard spawns, ms (Discordeno's default is 5.3 s). */
  spawnShardDelay?: number;
  /**
   * Shards to run in this host; absent: Discord's recommendation from
   * `GET /gateway/bot`. Discord routes each guild to shard `(id >> 22) % total`.
   */
  totalShards?: number;
  /** Writes the library's own notices. */
  log?: (level: "info" | "warn" | "error", message: string) => void;
}

/** Creates the Discordeno bot (not yet connected; call `bot.start()`). */
export function createGateway(options: GatewayOptions): Bot {
  const log = options.log ?? (() => {});
  const logger = {
    debug: () => {},
    info: (...args: unknown[]) => log("info", args.join(" ")),
    warn: (...args: unknown[]) => log("warn", args.join(" ")),
    error: (...args: unknown[]) => log("error", args.join(" ")),
    fatal: (...args: unknown[]) => log("error", args.join(" ")),
  };
  // Bypass Discordeno's object transformers: scripts get Discord's own payloads.
  const message = (shard: DiscordenoShard, payload: unknown) => {
    try {
      const frame = frames.id === shard.id ? frames.text : undefined;
      options.onPayload(payload as GatewayPayload, shard.id, shard.sessionId, frame);
    } catch (error) {
      log("error", `event routing failed: ${error}`);
    }
  };
  const bot = createBot({
    token: options.token,
    intents: FLORA_INTENTS,
    loggerFactory: () => logger,
    rest: options.restBase
      ? { proxy: { baseUrl: options.restBase, authorization: `Bot ${options.token}` } }
      : undefined,
    gateway: {
      spawnShardDelay: options.spawnShardDelay,
      ...(options.totalShards
        ? { totalShards: options.totalShards, lastShardId: options.totalShards - 1 }
        : {}),
      events: { message },
    },
  });
  const onFrame = options.onFrame;
  const take: FrameTaker["take"] | undefined = onFrame && ((route, shardId, frame) => {
    try {
      return onFrame(route, shardId, frame);
    } catch (error) {
      log("error", `event routing failed: ${error}`);
      return true; // as a payload whose routing threw: not handed over twice
    }
  });
  const frames = captureFrames(bot, take && { take, message });
  // A proxy base URL turns off Discordeno's rate-limit queue; the emulator enforces
  // Discord's limits, so keep the queue on.
  if (options.restBase) bot.rest.isProxied = false;
  return bot;
}

/**
 * Stops a gateway started with `starting = bot.start()`, whether or not that start has
 * finished, and leaves none of Discordeno's timers behind (a process that closed flora can
 * exit). Discordeno's start ends after the last shard's identify spacing and only then sets its
 * resharding check, an 8-hour interval that `shutdown()` clears only if it already runs; each
 * shard's send budget and each REST queue keep a timer of 60 s. (One is out of reach: the send
 * budget a shard replaces when Discord's HELLO comes keeps its timer, at most 60 s.)
 *
 * @example
 * ```ts
 * const starting = bot.start();
 * await shardsConnected(bot.gateway, starting, console.error);
 * // … later:
 * await stopGateway(bot, starting);
 * ```
 */
export async function stopGateway(bot: Bot, starting: Promise<void>): Promise<void> {
  const gateway = bot.gateway;
  starting.then(() => clearInterval(gateway.resharding.checkIntervalId), () => {});
  await bot.shutdown();
  // Each shard's send budget refills on a 60 s timer of its own.
  for (const shard of gateway.shards.values()) clearTimeout(shard.bucket.timeoutId);
  for (const queue of bot.rest.queues.values()) {
    clearTimeout(queue.deleteQueueTimeout);
    clearTimeout(queue.timeoutId);
  }
  bot.rest.queues.clear();
}

/** A shard's message handler, as Discordeno calls it for each gateway message. */
type HandleMessage = (message: MessageEvent) => Promise<void>;

/** The gateway message being handled right now: its shard and text (undefined: none). */
interface CurrentFrame {
  id: number;
  text: string | undefined;
}

/** Dispatches routed from their frames (`GatewayOptions.onFrame`), and the handler they skip. */
interface FrameTaker {
  take: NonNullable<GatewayOptions["onFrame"]>;
  /** Discordeno's handler of parsed payloads (`events.message`), as installed. */
  message: (shard: DiscordenoShard, payload: unknown) => void;
}

/**
 * Offers a text message to `taker` when it is a dispatch whose frame states its routing
 * plainly; true when taken. A shard whose handler Discordeno swapped (resharding) is left to it.
 */
function takeFrame(shard: DiscordenoShard, id: number, text: string, taker: FrameTaker): boolean {
  if (shard.events.message !== taker.message) return false;
  const route = frameRoute(text);
  if (route === null || !taker.take(route, id, text)) return false;
  // What Discordeno's `handleDiscordPacket` does for a dispatch that is not READY or RESUMED.
  shard.heart.lastAck = Date.now();
  shard.heart.acknowledged = true;
  shard.previousSequenceNumber = route.s;
  return true;
}

/**
 * The text of the gateway message a shard is handling right now. Discordeno
 * parses a text message and hands the payload to `events.message` before its
 * handler first awaits, so while that call runs the text here is that
 * payload's frame. It is cleared as soon as the
 * handler returns (or awaits): a payload handed over later (a compressed
 * message, or a library change) finds no frame and is sent as a value, never
 * with another message's text. Whether a frame can ride raw on the sandbox
 * link is decided where it is kept (`raw_json.ts`), not here: one scan of
 * each frame, not two.
 */
function captureFrames(bot: Bot, taker?: FrameTaker): CurrentFrame {
  // One slot, not a map by shard: handlers run one at a time, and a map's set and delete on
  // every message reallocated its table (≈ 110 bytes of garbage an event).
  const current: CurrentFrame = { id: -1, text: undefined };
  const shards = bot.gateway.shards;
  const set = shards.set.bind(shards);
  shards.set = (id, shard) => {
    const handle = (shard.handleMessage as HandleMessage).bind(shard);
    shard.handleMessage = (message: MessageEvent) => {
      const text = message.data;
      if (typeof text !== "string") return handle(message);
      if (taker && takeFrame(shard, id, text, taker)) return Promise.resolve();
      current.id = id;
      current.text = text;
      try {
        return handle(message);
      } finally {
        current.id = -1;
        current.text = undefined;
      }
    };
    return set(id, shard);
  };
  return current;
}
