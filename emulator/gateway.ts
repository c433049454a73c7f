/**
 * The WebSocket gateway: HELLO, IDENTIFY → READY + GUILD_CREATEs, heartbeats,
 * RESUME with replay, INVALID_SESSION, RECONNECT and Discord's close codes.
 * JSON encoding, optionally with zlib-stream or zstd-stream transport
 * compression. Sessions outlive their sockets so a client can RESUME and
 * receive what it missed, as on Discord.
 *
 * @module
 */

import { isRecord } from "./body.ts";
import { parseCompression, TransportCompressor } from "./gateway_compression.ts";
import { shardForGuild } from "./snowflake.ts";
import { type DispatchEvent, type EmulatorState, Intents } from "./state.ts";

/** Gateway opcodes. */
export const Op = {
  DISPATCH: 0,
  HEARTBEAT: 1,
  IDENTIFY: 2,
  PRESENCE_UPDATE: 3,
  VOICE_STATE_UPDATE: 4,
  RESUME: 6,
  RECONNECT: 7,
  REQUEST_GUILD_MEMBERS: 8,
  INVALID_SESSION: 9,
  HELLO: 10,
  HEARTBEAT_ACK: 11,
  REQUEST_SOUNDBOARD_SOUNDS: 31,
} as const;

/** Gateway close codes (4000–4014) with the reason Discord sends: one table, two views. */
const CLOSE_TABLE = {
  UNKNOWN_ERROR: [4000, "Unknown error."],
  UNKNOWN_OPCODE: [4001, "Unknown opcode."],
  DECODE_ERROR: [4002, "Decode error."],
  NOT_AUTHENTICATED: [4003, "Not authenticated."],
  AUTHENTICATION_FAILED: [4004, "Authentication failed."],
  ALREADY_AUTHENTICATED: [4005, "Already authenticated."],
  INVALID_SEQ: [4007, "Invalid seq."],
  RATE_LIMITED: [4008, "Rate limited."],
  SESSION_TIMED_OUT: [4009, "Session timed out."],
  INVALID_SHARD: [4010, "Invalid shard."],
  SHARDING_REQUIRED: [4011, "Sharding required."],
  INVALID_API_VERSION: [4012, "Invalid API version."],
  INVALID_INTENTS: [4013, "Invalid intent(s)."],
  DISALLOWED_INTENTS: [4014, "Disallowed intent(s)."],
} as const;

/** Gateway close codes (4000–4014) by name. */
export const CloseCodes = Object.fromEntries(
  Object.entries(CLOSE_TABLE).map(([name, [code]]) => [name, code]),
) as { readonly [N in keyof typeof CLOSE_TABLE]: (typeof CLOSE_TABLE)[N][0] };

/** The reason sent with each close code. */
const CLOSE_REASONS: Record<number, string> = Object.fromEntries(Object.values(CLOSE_TABLE));

/** Every intent bit Discord defines (bits 0–16, 20, 21, 24, 25). */
const KNOWN_INTENTS = 0x1ffff | (1 << 20) | (1 << 21) | (1 << 24) | (1 << 25);
const PRIVILEGED = [
  { intent: Intents.GUILD_PRESENCES, flags: (1 << 12) | (1 << 13) },
  { intent: Intents.GUILD_MEMBERS, flags: (1 << 14) | (1 << 15) },
  { intent: Intents.MESSAGE_CONTENT, flags: (1 << 18) | (1 << 19) },
];

/** Guilds one shard may carry before Discord requires sharding (4011). */
const MAX_GUILDS_PER_SHARD = 2500;
/** How long a disconnected session stays resumable, ms. */
const RESUME_WINDOW_MS = 5 * 60 * 1000;
/** How many dispatches a session keeps for RESUME replay. */
const REPLAY_BUFFER = 2000;
/** Frames a connection may send per minute before Discord closes it with 4008. */
const SEND_LIMIT_PER_MINUTE = 120;
/**
 * After the send limit, how long the client must stay quiet before the 4008 close
 * goes out, ms: Deno drops a connection (1006) that receives data after sending
 * its close frame, so a burst's frames still in flight would hide the code.
 */
const RATE_LIMIT_QUIET_MS = 50;
/** Largest frame a client may send, bytes (Discord closes with 4002 above it). */
const MAX_FRAME_BYTES = 4096;

/** A gateway frame: `{ op, d, s, t }`. */
export interface GatewayPayload {
  op: number;
  d: unknown;
  s: number | null;
  t: string | null;
}

/** A session: identity, intents and the dispatch history RESUME replays. */
export interface GatewaySession {
  id: string;
  shard: [number, number];
  intents: number;
  seq: number;
  /** Dispatches sent (or queued while disconnected), oldest first. */
  history: GatewayPayload[];
  /** The open socket carrying the session; null from the moment the gateway closes it. */
  connection: GatewayConnection | null;
  createdAt: number;
  /** When the last socket went away (null while connected). */
  disconnectedAt: number | null;
}

/** One WebSocket: a session once it identified or resumed. */
export interface GatewayConnection {
  id: number;
  socket: WebSocket;
  session: GatewaySession | null;
  /** Timer closing the socket when heartbeats stop (zombie connection). */
  heartbeatDeadline: ReturnType<typeof setTimeout> | undefined;
  lastHeartbeatAt: number;
  /** Frames received in the current minute (gateway send limit). */
  sentInWindow: number;
  windowStartedAt: number;
  /** Set once over the send limit: frames are dropped until the 4008 close goes out. */
  rateLimitClose?: ReturnType<typeof setTimeout>;
  /** The transport compression stream (`compress=` in the URL), if any. */
  compressor: TransportCompressor | null;
}

/** Faults the control API can switch on. */
export interface GatewayFaults {
  /** Delay before each HEARTBEAT_ACK, ms. */
  heartbeatAckDelayMs: number;
  /** Swallow this many upcoming HEARTBEAT_ACKs (Infinity: all); the client should detect a zombie. */
  dropHeartbeatAcks: number;
}

export interface GatewayServerOptions {
  state: EmulatorState;
  token: string;
  heartbeatIntervalMs: number;
  /** `resume_gateway_url` given in READY. */
  gatewayUrl: () => string;
  /** Minimum ms between IDENTIFYs of one max_concurrency bucket (0 = unlimited). */
  identifyIntervalMs: number;
  maxConcurrency: number;
  /** Called on each IDENTIFY that counts against session_start_limit. */
  onIdentify?: () => void;
}

/** Something observable about the gateway, for the control API and tests. */
export interface GatewayEvent {
  at: number;
  connectionId: number;
  kind:
    | "open"
    | "identify"
    | "resume"
    | "close"
    | "invalid_session"
    | "reconnect"
    | "heartbeat_request";
  detail?: unknown;
}

/** Accepts gateway WebSockets and routes world events to sessions. */
export class GatewayServer {
  readonly sessions = new Map<string, GatewaySession>();
  readonly connections = new Set<GatewayConnection>();
  readonly events: GatewayEvent[] = [];
  readonly faults: GatewayFaults = { heartbeatAckDelayMs: 0, dropHeartbeatAcks: 0 };
  #options: GatewayServerOptions;
  #unsubscribe: () => void;
  #nextConnectionId = 1;
  #lastIdentify = new Map<number, number>();
  #timers = new Set<ReturnType<typeof setTimeout>>();
  #closed = false;

  constructor(options: GatewayServerOptions) {
    this.#options = options;
    this.#unsubscribe = options.state.subscribe((event) => this.#route(event));
  }

  /** Upgrades an HTTP request to a gateway connection (or refuses it). */
  handle(request: Request): Response {
    const url = new URL(request.url);
    const encoding = url.searchParams.get("encoding") ?? "json";
    const compression = parseCompression(url.searchParams.get("compress"));
    if (encoding !== "json" || compression === undefined) {
      // ETF is not emulated (see gateway_compression.ts for why); refusing beats garbling.
      return Response.json(
        {
          message:
            "The emulator supports encoding=json, with compress=zlib-stream, zstd-stream or none.",
          code: 0,
        },
        { status: 400 },
      );
    }
    const { socket, response } = Deno.upgradeWebSocket(request);
    const connection: GatewayConnection = {
      id: this.#nextConnectionId++,
      socket,
      session: null,
      heartbeatDeadline: undefined,
      lastHeartbeatAt: Date.now(),
      sentInWindow: 0,
      windowStartedAt: Date.now(),
      compressor: compression ? new TransportCompressor(compression) : null,
    };
    const version = url.searchParams.get("v");
    socket.onopen = () => {
      this.connections.add(connection);
      this.#log(connection, "open");
      if (version !== null && version !== "10" && version !== "9") {
        this.closeConnection(connection, CloseCodes.INVALID_API_VERSION);
        return;
      }
      this.#send(connection, {
        op: Op.HELLO,
        d: { heartbeat_interval: this.#options.heartbeatIntervalMs },
        s: null,
        t: null,
      });
      this.#armZombieTimer(connection);
    };
    socket.onmessage = (event) => this.#onFrame(connection, event.data);
    socket.onclose = (event) => {
      this.#disarmZombieTimer(connection);
      this.connections.delete(connection);
      connection.compressor?.close();
      const session = connection.session;
      if (session && session.connection === connection) {
        this.#detach(connection);
        // Closing with 1000/1001 ends the session: Discord will not let it resume.
        if (event.code === 1000 || event.code === 1001) this.sessions.delete(session.id);
      }
      this.#log(connection, "close", { code: event.code, reason: event.reason });
    };
    socket.onerror = () => {};
    return response;
  }

  /** Closes a connection with a gateway close code (and Discord's reason text). */
  closeConnection(connection: GatewayConnection, code: number, reason?: string): void {
    this.#disarmZombieTimer(connection);
    if (connection.socket.readyState === WebSocket.OPEN) {
      // From its close frame on, the socket carries nothing more for the session: the
      // session is disconnected now (resumable from the client's last seq), not once the
      // client has answered the closing handshake.
      this.#detach(connection);
      const close = () => connection.socket.close(code, reason ?? CLOSE_REASONS[code] ?? "");
      // Compressed frames still being flushed go out before the close frame.
      if (connection.compressor) void connection.compressor.drained().then(close);
      else close();
    }
  }

  /** Sends op 7 RECONNECT to matching connections (Discord asks clients to resume). */
  requestReconnect(shardId?: number): number {
    let count = 0;
    for (const connection of this.connections) {
      if (!this.#matches(connection, shardId)) continue;
      this.#send(connection, { op: Op.RECONNECT, d: null, s: null, t: null });
      this.#log(connection, "reconnect");
      count++;
    }
    return count;
  }

  /** Sends op 1 HEARTBEAT: Discord's request for an immediate heartbeat. */
  requestHeartbeat(shardId?: number): number {
    let count = 0;
    for (const connection of this.connections) {
      if (!this.#matches(connection, shardId)) continue;
      this.#send(connection, { op: Op.HEARTBEAT, d: null, s: null, t: null });
      this.#log(connection, "heartbeat_request");
      count++;
    }
    return count;
  }

  /** Sends op 9 INVALID_SESSION; a non-resumable one also forgets the session. */
  invalidateSessions(resumable: boolean, shardId?: number): number {
    let count = 0;
    for (const connection of [...this.connections]) {
      if (!connection.session || !this.#matches(connection, shardId)) continue;
      const session = connection.session;
      if (!resumable) {
        // The session is gone; the client may IDENTIFY again (here or on a new socket).
        this.sessions.delete(session.id);
        connection.session = null;
      }
      this.#send(connection, { op: Op.INVALID_SESSION, d: resumable, s: null, t: null });
      this.#log(connection, "invalid_session", { resumable });
      count++;
    }
    return count;
  }

  /** Closes matching connections with a close code (fault injection). */
  dropConnections(code: number, shardId?: number): number {
    let count = 0;
    for (const connection of [...this.connections]) {
      // A socket already closing is not dropped a second time.
      if (!this.#matches(connection, shardId) || connection.socket.readyState !== WebSocket.OPEN) {
        continue;
      }
      this.closeConnection(connection, code);
      count++;
    }
    return count;
  }

  /** Closes every socket and stops routing events. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    const closing: Promise<void>[] = [];
    for (const connection of this.connections) {
      this.#disarmZombieTimer(connection);
      const socket = connection.socket;
      if (socket.readyState === WebSocket.CLOSED) continue;
      closing.push(
        new Promise<void>((resolve) => socket.addEventListener("close", () => resolve())),
      );
      if (socket.readyState === WebSocket.OPEN) socket.close(1001, "Emulator shutting down.");
    }
    await Promise.all(closing);
  }

  /** The session this socket carried (if it still does) is disconnected from now on. */
  #detach(connection: GatewayConnection): void {
    const session = connection.session;
    if (session && session.connection === connection) {
      session.connection = null;
      session.disconnectedAt = Date.now();
    }
  }

  #matches(connection: GatewayConnection, shardId?: number): boolean {
    return shardId === undefined || connection.session?.shard[0] === shardId;
  }

  #log(connection: GatewayConnection, kind: GatewayEvent["kind"], detail?: unknown): void {
    this.events.push({ at: Date.now(), connectionId: connection.id, kind, detail });
    if (this.events.length > 1000) this.events.shift();
  }

  #send(connection: GatewayConnection, payload: GatewayPayload): void {
    const socket = connection.socket;
    if (socket.readyState !== WebSocket.OPEN) return;
    const text = JSON.stringify(payload);
    if (!connection.compressor) {
      socket.send(text);
      return;
    }
    connection.compressor.compress(text).then(
      (bytes) => {
        if (socket.readyState === WebSocket.OPEN) socket.send(bytes);
      },
      () => {}, // The connection closed meanwhile; RESUME replays what it missed.
    );
  }

  /** A timer the server's close() cancels. */
  #timer(fn: () => void, ms: number): ReturnType<typeof setTimeout> {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    this.#timers.add(timer);
    return timer;
  }

  #clearTimer(timer: ReturnType<typeof setTimeout> | undefined): void {
    if (timer === undefined) return;
    clearTimeout(timer);
    this.#timers.delete(timer);
  }

  #armZombieTimer(connection: GatewayConnection): void {
    this.#disarmZombieTimer(connection);
    if (this.#closed) return;
    // Clients beat at most one interval apart; a second interval plus 2 s of slack keeps
    // busy (or CPU-starved) clients alive while still catching dead ones.
    const limit = this.#options.heartbeatIntervalMs * 2 + 2000;
    connection.heartbeatDeadline = setTimeout(() => {
      connection.heartbeatDeadline = undefined;
      this.closeConnection(connection, CloseCodes.SESSION_TIMED_OUT);
    }, limit);
  }

  #disarmZombieTimer(connection: GatewayConnection): void {
    if (connection.heartbeatDeadline !== undefined) clearTimeout(connection.heartbeatDeadline);
    connection.heartbeatDeadline = undefined;
  }

  #onFrame(connection: GatewayConnection, data: unknown): void {
    const now = Date.now();
    if (now - connection.windowStartedAt >= 60_000) {
      connection.windowStartedAt = now;
      connection.sentInWindow = 0;
    }
    if (++connection.sentInWindow > SEND_LIMIT_PER_MINUTE) {
      // Frames past the limit are ignored; the close waits for the burst to end.
      this.#detach(connection);
      this.#clearTimer(connection.rateLimitClose);
      connection.rateLimitClose = this.#timer(
        () => this.closeConnection(connection, CloseCodes.RATE_LIMITED),
        RATE_LIMIT_QUIET_MS,
      );
      return;
    }
    if (typeof data !== "string" || new TextEncoder().encode(data).length > MAX_FRAME_BYTES) {
      this.closeConnection(connection, CloseCodes.DECODE_ERROR);
      return;
    }
    let payload: unknown;
    try {
      payload = JSON.parse(data);
    } catch {
      this.closeConnection(connection, CloseCodes.DECODE_ERROR);
      return;
    }
    if (!isRecord(payload) || typeof payload.op !== "number") {
      this.closeConnection(connection, CloseCodes.DECODE_ERROR);
      return;
    }
    switch (payload.op) {
      case Op.HEARTBEAT:
        return this.#onHeartbeat(connection);
      case Op.IDENTIFY:
        return this.#onIdentify(connection, payload.d);
      case Op.RESUME:
        return this.#onResume(connection, payload.d);
      case Op.PRESENCE_UPDATE:
      case Op.VOICE_STATE_UPDATE:
      case Op.REQUEST_GUILD_MEMBERS:
      case Op.REQUEST_SOUNDBOARD_SOUNDS:
        if (!connection.session) {
          this.closeConnection(connection, CloseCodes.NOT_AUTHENTICATED);
          return;
        }
        if (payload.op === Op.REQUEST_GUILD_MEMBERS) this.#onRequestMembers(connection, payload.d);
        return;
      default:
        this.closeConnection(connection, CloseCodes.UNKNOWN_OPCODE);
    }
  }

  #onHeartbeat(connection: GatewayConnection): void {
    connection.lastHeartbeatAt = Date.now();
    this.#armZombieTimer(connection);
    if (this.faults.dropHeartbeatAcks > 0) {
      this.faults.dropHeartbeatAcks--;
      return;
    }
    const ack: GatewayPayload = { op: Op.HEARTBEAT_ACK, d: null, s: null, t: null };
    if (this.faults.heartbeatAckDelayMs > 0) {
      this.#timer(() => this.#send(connection, ack), this.faults.heartbeatAckDelayMs);
      return;
    }
    this.#send(connection, ack);
  }

  #checkToken(value: unknown): boolean {
    const token = this.#options.token;
    return value === token || value === `Bot ${token}`;
  }

  #onIdentify(connection: GatewayConnection, d: unknown): void {
    if (connection.session) {
      this.closeConnection(connection, CloseCodes.ALREADY_AUTHENTICATED);
      return;
    }
    if (!isRecord(d) || typeof d.token !== "string" || !isRecord(d.properties)) {
      this.closeConnection(connection, CloseCodes.DECODE_ERROR);
      return;
    }
    if (!this.#checkToken(d.token)) {
      this.closeConnection(connection, CloseCodes.AUTHENTICATION_FAILED);
      return;
    }
    const intents = d.intents;
    if (
      typeof intents !== "number" || !Number.isInteger(intents) || intents < 0 ||
      (intents & ~KNOWN_INTENTS) !== 0
    ) {
      this.closeConnection(connection, CloseCodes.INVALID_INTENTS);
      return;
    }
    const flags = this.#options.state.application.flags;
    if (PRIVILEGED.some((p) => (intents & p.intent) !== 0 && (flags & p.flags) === 0)) {
      this.closeConnection(connection, CloseCodes.DISALLOWED_INTENTS);
      return;
    }
    let shard: [number, number] = [0, 1];
    if (d.shard !== undefined) {
      const s = d.shard;
      if (
        !Array.isArray(s) || s.length !== 2 || !Number.isInteger(s[0]) ||
        !Number.isInteger(s[1]) || s[1] < 1 || s[0] < 0 || s[0] >= s[1]
      ) {
        this.closeConnection(connection, CloseCodes.INVALID_SHARD);
        return;
      }
      shard = [s[0], s[1]];
    }
    // Discord caps a shard at 2500 guilds.
    const botGuilds = [...this.#options.state.guilds.values()]
      .filter((g) => g.members.has(this.#options.state.botUser.id)).length;
    if (botGuilds / shard[1] > MAX_GUILDS_PER_SHARD) {
      this.closeConnection(connection, CloseCodes.SHARDING_REQUIRED);
      return;
    }
    // One IDENTIFY per bucket (shard_id % max_concurrency) per interval, else op 9.
    const interval = this.#options.identifyIntervalMs;
    if (interval > 0) {
      const bucket = shard[0] % this.#options.maxConcurrency;
      const last = this.#lastIdentify.get(bucket);
      if (last !== undefined && Date.now() - last < interval) {
        this.#send(connection, { op: Op.INVALID_SESSION, d: false, s: null, t: null });
        this.#log(connection, "invalid_session", { resumable: false, reason: "identify rate" });
        return;
      }
      this.#lastIdentify.set(bucket, Date.now());
    }
    this.#options.onIdentify?.();
    const session: GatewaySession = {
      id: crypto.randomUUID().replaceAll("-", ""),
      shard,
      intents,
      seq: 0,
      history: [],
      connection,
      createdAt: Date.now(),
      disconnectedAt: null,
    };
    this.sessions.set(session.id, session);
    connection.session = session;
    this.#log(connection, "identify", { shard, intents, sessionId: session.id });
    const state = this.#options.state;
    const guildIds = [...state.guilds.keys()].filter((id) =>
      shardForGuild(id, shard[1]) === shard[0] &&
      state.guilds.get(id)?.members.has(state.botUser.id)
    );
    this.#dispatch(session, "READY", {
      v: 10,
      user: { ...state.botUser, verified: true, mfa_enabled: false, email: null, locale: "en-US" },
      user_settings: {},
      guilds: guildIds.map((id) => ({ id, unavailable: true })),
      presences: [],
      private_channels: [],
      relationships: [],
      guild_join_requests: [],
      geo_ordered_rtc_regions: ["us-east"],
      session_type: "normal",
      session_id: session.id,
      resume_gateway_url: this.#options.gatewayUrl(),
      shard,
      application: { id: state.application.id, flags: state.application.flags },
      auth: {},
    });
    if (intents & Intents.GUILDS) {
      for (const id of guildIds) {
        this.#dispatch(
          session,
          "GUILD_CREATE",
          this.#guildCreateFor(session, state.guildCreatePayload(id)),
        );
      }
    }
  }

  #onResume(connection: GatewayConnection, d: unknown): void {
    if (connection.session) {
      this.closeConnection(connection, CloseCodes.ALREADY_AUTHENTICATED);
      return;
    }
    if (!isRecord(d) || typeof d.token !== "string" || typeof d.session_id !== "string") {
      this.closeConnection(connection, CloseCodes.DECODE_ERROR);
      return;
    }
    if (!this.#checkToken(d.token)) {
      this.closeConnection(connection, CloseCodes.AUTHENTICATION_FAILED);
      return;
    }
    const session = this.sessions.get(d.session_id);
    const seq = typeof d.seq === "number" ? d.seq : 0;
    const oldest = session?.history[0]?.s ?? (session ? session.seq + 1 : 0);
    // A sequence the session never reached is Discord's 4007 (invalid seq).
    if (session && seq > session.seq) {
      this.closeConnection(connection, CloseCodes.INVALID_SEQ);
      return;
    }
    // Unknown session, or the missed events fell out of the buffer: start over.
    if (!session || seq < oldest - 1) {
      this.#send(connection, { op: Op.INVALID_SESSION, d: false, s: null, t: null });
      this.#log(connection, "invalid_session", { resumable: false, reason: "resume" });
      return;
    }
    if (session.connection && session.connection !== connection) {
      // The session moves to the new socket; the old one is closed.
      const previous = session.connection;
      previous.session = null;
      this.closeConnection(previous, CloseCodes.UNKNOWN_ERROR);
    }
    session.connection = connection;
    session.disconnectedAt = null;
    connection.session = session;
    this.#log(connection, "resume", { sessionId: session.id, seq });
    for (const payload of session.history) {
      if (payload.s !== null && payload.s > seq) this.#send(connection, payload);
    }
    this.#dispatch(session, "RESUMED", null);
  }

  #onRequestMembers(connection: GatewayConnection, d: unknown): void {
    const session = connection.session;
    if (!session || !isRecord(d) || typeof d.guild_id !== "string") return;
    const state = this.#options.state;
    const guild = state.guilds.get(d.guild_id);
    if (!guild) return;
    const query = typeof d.query === "string" ? d.query.toLowerCase() : undefined;
    const userIds = Array.isArray(d.user_ids)
      ? d.user_ids.filter((id): id is string => typeof id === "string")
      : typeof d.user_ids === "string"
      ? [d.user_ids]
      : undefined;
    // Listing everyone needs the privileged GUILD_MEMBERS intent, as on Discord.
    if (!userIds && (query ?? "") === "" && !(session.intents & Intents.GUILD_MEMBERS)) {
      this.closeConnection(connection, CloseCodes.DISALLOWED_INTENTS);
      return;
    }
    const limit = typeof d.limit === "number" && d.limit > 0 ? d.limit : Infinity;
    const members = [...guild.members.values()].filter((m) => {
      if (userIds) return userIds.includes(m.userId);
      const user = state.users.get(m.userId);
      return !query || (user?.username.toLowerCase().startsWith(query) ?? false) ||
        (m.nick?.toLowerCase().startsWith(query) ?? false);
    }).slice(0, limit);
    const found = new Set(members.map((m) => m.userId));
    const chunk: Record<string, unknown> = {
      guild_id: d.guild_id,
      members: members.map((m) => state.memberToApi(m)),
      chunk_index: 0,
      chunk_count: 1,
    };
    if (userIds) {
      const missing = userIds.filter((id) => !found.has(id));
      if (missing.length) chunk.not_found = missing;
    }
    if (typeof d.nonce === "string") chunk.nonce = d.nonce;
    this.#dispatch(session, "GUILD_MEMBERS_CHUNK", chunk);
  }

  /** Routes a world event to every session on the right shard with the right intents. */
  #route(event: DispatchEvent): void {
    const now = Date.now();
    for (const session of this.sessions.values()) {
      // Sessions nobody resumed in time are gone, as on Discord.
      if (session.disconnectedAt !== null && now - session.disconnectedAt > RESUME_WINDOW_MS) {
        this.sessions.delete(session.id);
        continue;
      }
      const shard = event.guildId === undefined
        ? 0
        : shardForGuild(event.guildId, session.shard[1]);
      if (shard !== session.shard[0]) continue;
      if (event.intent !== undefined && (session.intents & event.intent) === 0) continue;
      let d = event.d;
      if (event.contentGated && !(session.intents & Intents.MESSAGE_CONTENT) && isRecord(d)) {
        d = { ...d, content: "", embeds: [], attachments: [], components: [] };
        delete (d as Record<string, unknown>).poll;
      }
      if (event.t === "GUILD_CREATE") d = this.#guildCreateFor(session, d);
      this.#dispatch(session, event.t, d);
    }
  }

  /**
   * Without GUILD_PRESENCES, Discord's GUILD_CREATE lists only the bot itself
   * among `members` (and voice members, which the emulator has none of).
   */
  #guildCreateFor(session: GatewaySession, d: unknown): unknown {
    if (session.intents & Intents.GUILD_PRESENCES || !isRecord(d) || !Array.isArray(d.members)) {
      return d;
    }
    const botId = this.#options.state.botUser.id;
    return {
      ...d,
      members: d.members.filter((m) => isRecord(m) && isRecord(m.user) && m.user.id === botId),
    };
  }

  #dispatch(session: GatewaySession, t: string, d: unknown): void {
    const payload: GatewayPayload = { op: Op.DISPATCH, d, s: ++session.seq, t };
    session.history.push(payload);
    if (session.history.length > REPLAY_BUFFER) session.history.shift();
    if (session.connection) this.#send(session.connection, payload);
  }
}
