import {
  ALL_PERMISSIONS,
  basePermissions,
  channelPermissions,
  Permissions,
} from "./permissions.ts";
import type { PermissionSubject } from "./permissions.ts";
import type { ApiRole } from "./types.ts";
import { assertEquals } from "./test_helpers.ts";

const role = (id: string, permissions: bigint, position: number): ApiRole => ({
  id,
  name: id,
  color: 0,
  colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
  hoist: false,
  icon: null,
  unicode_emoji: null,
  position,
  permissions: permissions.toString(),
  managed: false,
  mentionable: false,
  flags: 0,
});

const { VIEW_CHANNEL, SEND_MESSAGES, ADMINISTRATOR, READ_MESSAGE_HISTORY } = Permissions;
const subject = (roles: string[], extra: Partial<PermissionSubject> = {}): PermissionSubject => ({
  guildId: "1",
  ownerId: "99",
  userId: "5",
  roles: [
    role("1", VIEW_CHANNEL | SEND_MESSAGES, 0),
    role("2", 0n, 1),
    role("3", ADMINISTRATOR, 2),
  ],
  memberRoleIds: roles,
  timedOut: false,
  ...extra,
});

Deno.test("base permissions: @everyone plus roles; owner and ADMINISTRATOR get everything", () => {
  assertEquals(basePermissions(subject([])), VIEW_CHANNEL | SEND_MESSAGES);
  assertEquals(basePermissions(subject(["3"])), ALL_PERMISSIONS);
  assertEquals(basePermissions(subject([], { userId: "99" })), ALL_PERMISSIONS);
});

Deno.test("overwrites apply in order: @everyone, roles (deny then allow), member", () => {
  const everyoneDeny = { id: "1", type: 0 as const, allow: "0", deny: String(SEND_MESSAGES) };
  const roleAllow = { id: "2", type: 0 as const, allow: String(SEND_MESSAGES), deny: "0" };
  const memberDeny = { id: "5", type: 1 as const, allow: "0", deny: String(SEND_MESSAGES) };
  assertEquals(channelPermissions(subject([]), [everyoneDeny]), VIEW_CHANNEL);
  assertEquals(
    channelPermissions(subject(["2"]), [everyoneDeny, roleAllow]),
    VIEW_CHANNEL | SEND_MESSAGES,
  );
  assertEquals(
    channelPermissions(subject(["2"]), [everyoneDeny, roleAllow, memberDeny]),
    VIEW_CHANNEL,
  );
  // Without VIEW_CHANNEL nothing else applies; administrators ignore overwrites.
  const hide = { id: "1", type: 0 as const, allow: "0", deny: String(VIEW_CHANNEL) };
  assertEquals(channelPermissions(subject([]), [hide]), 0n);
  assertEquals(channelPermissions(subject(["3"]), [hide]), ALL_PERMISSIONS);
});

Deno.test("timed-out members keep only VIEW_CHANNEL and READ_MESSAGE_HISTORY", () => {
  const s = subject([], { timedOut: true });
  s.roles[0].permissions = String(VIEW_CHANNEL | SEND_MESSAGES | READ_MESSAGE_HISTORY);
  assertEquals(channelPermissions(s, []), VIEW_CHANNEL | READ_MESSAGE_HISTORY);
});
