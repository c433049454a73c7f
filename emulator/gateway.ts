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
import { checkIdentify, readyPayload, shardGuildIds, tokenMatches } from "./gateway_identify.ts";
import { answerMembersRequest } from "./gateway_members.ts";
import { guildCreateFor, sessionView } from "./gateway_routing.ts";
import {
  CLOSE_REASONS,
  CloseCodes,
  type GatewayConnection,
  type GatewayEvent,
  type GatewayFaults,
  type GatewayPayload,
  type GatewaySession,
  Op,
} from "./gateway_protocol.ts";
import { type EmulatorState } from "./state.ts";
import { type DispatchEvent, Intents } from "./state_records.ts";

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
    // No WebSocket-level ping timeout (Deno's default closes a socket whose pong is late with
    // 1001, which would end the session here): as on Discord, a dead client is found by its
    // missing heartbeats (the zombie timer, close 4009), and its session stays resumable.
    const { socket, response } = Deno.upgradeWebSocket(request, { idleTimeout: 0 });
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

  #onIdentify(connection: GatewayConnection, d: unknown): void {
    if (connection.session) {
      this.closeConnection(connection, CloseCodes.ALREADY_AUTHENTICATED);
      return;
    }
    const check = checkIdentify(d, this.#options.state, this.#options.token);
    if (!check.ok) {
      this.closeConnection(connection, check.code);
      return;
    }
    const { shard, intents } = check;
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
    const guildIds = shardGuildIds(state, shard);
    this.#dispatch(
      session,
      "READY",
      readyPayload(state, session, guildIds, this.#options.gatewayUrl()),
    );
    if (intents & Intents.GUILDS) {
      for (const id of guildIds) {
        this.#dispatch(
          session,
          "GUILD_CREATE",
          guildCreateFor(intents, state.guildCreatePayload(id), state.botUser.id),
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
    if (!tokenMatches(d.token, this.#options.token)) {
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
    if (!session) return;
    const answer = answerMembersRequest(this.#options.state, session.intents, d);
    if (!answer) return;
    if ("close" in answer) this.closeConnection(connection, answer.close);
    else this.#dispatch(session, "GUILD_MEMBERS_CHUNK", answer.chunk);
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
      const view = sessionView(session, event, this.#options.state.botUser.id);
      if (view) this.#dispatch(session, event.t, view.d);
    }
  }

  #dispatch(session: GatewaySession, t: string, d: unknown): void {
    const payload: GatewayPayload = { op: Op.DISPATCH, d, s: ++session.seq, t };
    session.history.push(payload);
    if (session.history.length > REPLAY_BUFFER) session.history.shift();
    if (session.connection) this.#send(session.connection, payload);
  }
}
