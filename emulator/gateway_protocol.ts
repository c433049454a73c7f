/**
 * The gateway's wire vocabulary: opcodes, close codes with Discord's reasons,
 * and the frames, sessions and connections the server keeps.
 *
 * @module
 */

import type { TransportCompressor } from "./gateway_compression.ts";

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
export const CLOSE_REASONS: Record<number, string> = Object.fromEntries(Object.values(CLOSE_TABLE));

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
