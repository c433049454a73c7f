/**
 * Control routes for observing the gateway and injecting faults: gateway
 * sessions and connection events, dropped connections, RECONNECT,
 * INVALID_SESSION, heartbeat-ACK trouble, forced REST failures and run-time
 * rate-limit settings.
 *
 * @module
 */

import type { Hono } from "hono";
import { isRecord } from "./body.ts";
import { jsonBody } from "./control_http.ts";
import type { GatewayFault, RestFault } from "./control_types.ts";
import { invalidField } from "./errors.ts";
import type { GatewayServer } from "./gateway.ts";
import type { RateLimiter, RateLimitOptions } from "./rest/ratelimit.ts";

/** What the fault routes act on (declared here so this module need not import control.ts). */
export interface FaultTargets {
  gateway: GatewayServer;
  rateLimits: RateLimiter;
}

export function registerFaultRoutes(app: Hono, ctx: FaultTargets): void {
  const { gateway } = ctx;
  app.get("/gateway", (c) =>
    c.json({
      sessions: [...gateway.sessions.values()].map((s) => ({
        id: s.id,
        shard: s.shard,
        intents: s.intents,
        seq: s.seq,
        connected: s.connection !== null,
      })),
      events: gateway.events,
    }));

  app.post("/faults/gateway", async (c) => {
    const input = parseGatewayFault(await jsonBody(c));
    let affected = 0;
    switch (input.kind) {
      case "close":
        affected = gateway.dropConnections(input.code, input.shardId);
        break;
      case "reconnect":
        affected = gateway.requestReconnect(input.shardId);
        break;
      case "heartbeat_request":
        affected = gateway.requestHeartbeat(input.shardId);
        break;
      case "invalid_session":
        affected = gateway.invalidateSessions(input.resumable === true, input.shardId);
        break;
      case "heartbeat_ack":
        gateway.faults.heartbeatAckDelayMs = input.delayMs ?? 0;
        gateway.faults.dropHeartbeatAcks = input.drop === true
          ? Infinity
          : typeof input.drop === "number"
          ? input.drop
          : 0;
        break;
      default:
        throw invalidField(["kind"], "BASE_TYPE_CHOICES", "Unknown fault kind.");
    }
    return c.json({ affected });
  });

  app.post("/faults/rest", async (c) => {
    const raw = await jsonBody(c);
    if (typeof raw.route !== "string" || typeof raw.status !== "number") {
      throw invalidField(["route"], "BASE_TYPE_REQUIRED", "route and status are required");
    }
    const input: RestFault = {
      route: raw.route,
      status: raw.status,
      count: typeof raw.count === "number" ? raw.count : undefined,
      retryAfter: typeof raw.retryAfter === "number" ? raw.retryAfter : undefined,
    };
    ctx.rateLimits.faults.push({
      route: input.route,
      status: input.status,
      count: input.count ?? 1,
      retryAfter: input.retryAfter,
    });
    return c.json({ pending: ctx.rateLimits.faults.length });
  });

  app.put("/rate-limits", async (c) => {
    const input = await jsonBody(c);
    ctx.rateLimits.configure({
      enabled: typeof input.enabled === "boolean" ? input.enabled : undefined,
      globalPerSecond: typeof input.globalPerSecond === "number"
        ? input.globalPerSecond
        : undefined,
      routes: parseRules(input.routes),
    });
    return c.body(null, 204);
  });
}

const num = (value: unknown) => typeof value === "number" ? value : undefined;

/** Narrows a fault request body to a GatewayFault (400 on anything else). */
function parseGatewayFault(input: Record<string, unknown>): GatewayFault {
  const shardId = num(input.shardId);
  switch (input.kind) {
    case "close": {
      const code = num(input.code);
      if (code === undefined) {
        throw invalidField(["code"], "BASE_TYPE_REQUIRED", "code is required");
      }
      return { kind: "close", code, shardId };
    }
    case "reconnect":
      return { kind: "reconnect", shardId };
    case "heartbeat_request":
      return { kind: "heartbeat_request", shardId };
    case "invalid_session":
      return { kind: "invalid_session", resumable: input.resumable === true, shardId };
    case "heartbeat_ack":
      return {
        kind: "heartbeat_ack",
        delayMs: num(input.delayMs),
        drop: typeof input.drop === "boolean" ? input.drop : num(input.drop),
      };
    default:
      throw invalidField(["kind"], "BASE_TYPE_CHOICES", "Unknown fault kind.");
  }
}

/** Narrows `{ "METHOD /route": { limit, windowMs } }`. */
function parseRules(value: unknown): RateLimitOptions["routes"] {
  if (!isRecord(value)) return undefined;
  const rules: NonNullable<RateLimitOptions["routes"]> = {};
  for (const [label, rule] of Object.entries(value)) {
    if (isRecord(rule) && typeof rule.limit === "number" && typeof rule.windowMs === "number") {
      rules[label] = { limit: rule.limit, windowMs: rule.windowMs };
    }
  }
  return rules;
}
