/**
 * Fixtures shared by the host's tests: a deployment record as storage
 * returns it, and a MESSAGE_CREATE payload in Discord's shape.
 *
 * @module
 */

import type { Deployment, DeploymentStatus } from "../../storage/types.ts";

/**
 * A deployment of `code` for `guildId`.
 *
 * @example
 * ```ts
 * const d = testDeployment("100000000000000001", "d1", `on("messageCreate", () => {});`);
 * ```
 */
export function testDeployment(
  guildId: string,
  id: string,
  code: string,
  status: DeploymentStatus = "active",
): Deployment {
  const now = new Date().toISOString();
  return {
    id,
    guildId,
    revision: 1,
    status,
    createdBy: "test",
    createdAt: now,
    updatedAt: now,
    bundle: { entry: "main.ts", code },
  };
}

/** A message `content` by a member in one of `guildId`'s channels. */
export function messagePayload(guildId: string, content: string) {
  return {
    id: "700000000000000001",
    channel_id: "200000000000000001",
    guild_id: guildId,
    author: { id: "300000000000000001", username: "alice" },
    content,
    timestamp: new Date().toISOString(),
  };
}
