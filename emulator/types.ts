/**
 * Discord API payload shapes the emulator sends and stores (API v10, snake
 * case, snowflakes as strings) — the subset flora's clients consume.
 *
 * @module
 */

export type Snowflake = string;

export interface ApiUser {
  id: Snowflake;
  username: string;
  discriminator: string;
  global_name: string | null;
  avatar: string | null;
  bot?: boolean;
  system?: boolean;
  public_flags: number;
  flags?: number;
  /** The user's displayed server tag; null when they show none. */
  primary_guild: ApiPrimaryGuild | null;
}

/** A user's server tag (`primary_guild`). */
export interface ApiPrimaryGuild {
  identity_guild_id: Snowflake | null;
  identity_enabled: boolean | null;
  tag: string | null;
  badge: string | null;
}

/** A role's colours; `color` mirrors `primary_color` for older clients. */
export interface ApiRoleColors {
  primary_color: number;
  secondary_color: number | null;
  tertiary_color: number | null;
}

export interface ApiRole {
  id: Snowflake;
  name: string;
  color: number;
  colors: ApiRoleColors;
  hoist: boolean;
  icon: string | null;
  unicode_emoji: string | null;
  position: number;
  permissions: string;
  managed: boolean;
  mentionable: boolean;
  flags: number;
  tags?: { bot_id?: Snowflake };
}

/** Permission overwrite: type 0 = role, 1 = member. */
export interface ApiOverwrite {
  id: Snowflake;
  type: 0 | 1;
  allow: string;
  deny: string;
}

export interface ApiThreadMetadata {
  archived: boolean;
  auto_archive_duration: number;
  archive_timestamp: string;
  locked: boolean;
  invitable?: boolean;
  create_timestamp?: string;
}

export interface ApiChannel {
  id: Snowflake;
  type: number;
  guild_id?: Snowflake;
  name?: string | null;
  position?: number;
  permission_overwrites?: ApiOverwrite[];
  topic?: string | null;
  nsfw?: boolean;
  last_message_id?: Snowflake | null;
  rate_limit_per_user?: number;
  parent_id?: Snowflake | null;
  last_pin_timestamp?: string | null;
  recipients?: ApiUser[];
  owner_id?: Snowflake;
  thread_metadata?: ApiThreadMetadata;
  message_count?: number;
  member_count?: number;
  total_message_sent?: number;
  flags: number;
}

export interface ApiGuildMember {
  user: ApiUser;
  nick: string | null;
  avatar: string | null;
  banner: string | null;
  roles: Snowflake[];
  joined_at: string;
  premium_since: string | null;
  deaf: boolean;
  mute: boolean;
  flags: number;
  pending: boolean;
  communication_disabled_until: string | null;
  /** Only on interaction members: the member's permissions in the channel. */
  permissions?: string;
}

export interface ApiGuild {
  id: Snowflake;
  name: string;
  icon: string | null;
  icon_hash: string | null;
  splash: string | null;
  discovery_splash: string | null;
  owner_id: Snowflake;
  afk_channel_id: Snowflake | null;
  afk_timeout: number;
  widget_enabled: boolean;
  widget_channel_id: Snowflake | null;
  verification_level: number;
  default_message_notifications: number;
  explicit_content_filter: number;
  roles: ApiRole[];
  emojis: unknown[];
  features: string[];
  mfa_level: number;
  application_id: Snowflake | null;
  system_channel_id: Snowflake | null;
  system_channel_flags: number;
  rules_channel_id: Snowflake | null;
  max_presences: number | null;
  max_members: number;
  vanity_url_code: string | null;
  description: string | null;
  banner: string | null;
  premium_tier: number;
  premium_subscription_count: number;
  preferred_locale: string;
  public_updates_channel_id: Snowflake | null;
  max_video_channel_users: number;
  max_stage_video_channel_users: number;
  approximate_member_count?: number;
  approximate_presence_count?: number;
  nsfw_level: number;
  stickers: unknown[];
  premium_progress_bar_enabled: boolean;
  safety_alerts_channel_id: Snowflake | null;
  /** Voice regions moved to channels; Discord still sends `"deprecated"`. */
  region: string;
  nsfw: boolean;
  home_header: string | null;
  incidents_data: ApiIncidentsData | null;
}

/** Raid-protection state (`incidents_data`); null when nothing is paused. */
export interface ApiIncidentsData {
  invites_disabled_until: string | null;
  dms_disabled_until: string | null;
}

/** GUILD_CREATE adds these gateway-only fields to the guild object. */
export interface ApiGatewayGuild extends ApiGuild {
  joined_at: string;
  large: boolean;
  unavailable: boolean;
  member_count: number;
  voice_states: unknown[];
  members: ApiGuildMember[];
  channels: ApiChannel[];
  threads: ApiChannel[];
  presences: unknown[];
  stage_instances: unknown[];
  guild_scheduled_events: unknown[];
  soundboard_sounds: unknown[];
}

export interface ApiEmbed {
  title?: string;
  type?: string;
  description?: string;
  url?: string;
  color?: number;
  fields?: { name: string; value: string; inline?: boolean }[];
  [key: string]: unknown;
}

export interface ApiAttachment {
  id: Snowflake;
  filename: string;
  size: number;
  url: string;
  proxy_url: string;
  content_type?: string;
  description?: string;
}

export interface ApiReaction {
  count: number;
  count_details: { burst: number; normal: number };
  me: boolean;
  me_burst: boolean;
  emoji: { id: Snowflake | null; name: string | null; animated?: boolean };
  burst_colors: string[];
}

export interface ApiMessageReference {
  type?: number;
  message_id?: Snowflake;
  channel_id?: Snowflake;
  guild_id?: Snowflake;
  fail_if_not_exists?: boolean;
}

/** A forwarded message's frozen copy (`message_snapshots[].message`). */
export interface ApiMessageSnapshot {
  message: Pick<
    ApiMessage,
    | "type"
    | "content"
    | "embeds"
    | "attachments"
    | "timestamp"
    | "edited_timestamp"
    | "flags"
    | "mentions"
    | "mention_roles"
    | "components"
  >;
}

export interface ApiInteractionMetadata {
  id: Snowflake;
  type: number;
  user: ApiUser;
  authorizing_integration_owners: Record<string, Snowflake>;
  name?: string;
  command_type?: number;
}

export interface ApiMessage {
  id: Snowflake;
  channel_id: Snowflake;
  author: ApiUser;
  content: string;
  timestamp: string;
  edited_timestamp: string | null;
  tts: boolean;
  mention_everyone: boolean;
  /** On the gateway, guild mentions carry the mentioned member (without `user`). */
  mentions: (ApiUser & { member?: Omit<ApiGuildMember, "user"> })[];
  mention_roles: Snowflake[];
  attachments: ApiAttachment[];
  embeds: ApiEmbed[];
  reactions?: ApiReaction[];
  nonce?: string | number;
  pinned: boolean;
  webhook_id?: Snowflake;
  type: number;
  flags: number;
  components: unknown[];
  message_reference?: ApiMessageReference;
  message_snapshots?: ApiMessageSnapshot[];
  referenced_message?: ApiMessage | null;
  interaction_metadata?: ApiInteractionMetadata;
  application_id?: Snowflake;
  position?: number;
  /** Gateway MESSAGE_CREATE/UPDATE only. */
  guild_id?: Snowflake;
  /** Gateway MESSAGE_CREATE/UPDATE only: the author's partial member. */
  member?: Omit<ApiGuildMember, "user">;
}

export interface ApiCommandOption {
  type: number;
  name: string;
  description: string;
  required?: boolean;
  choices?: { name: string; value: string | number }[];
  options?: ApiCommandOption[];
  [key: string]: unknown;
}

export interface ApiApplicationCommand {
  id: Snowflake;
  type: number;
  application_id: Snowflake;
  guild_id?: Snowflake;
  name: string;
  name_localizations: Record<string, string> | null;
  description: string;
  description_localizations: Record<string, string> | null;
  options?: ApiCommandOption[];
  default_member_permissions: string | null;
  dm_permission?: boolean;
  nsfw: boolean;
  integration_types?: number[];
  contexts?: number[] | null;
  version: Snowflake;
}

/** An option as it arrives in an interaction's `data.options`. */
export interface ApiInteractionOption {
  name: string;
  type: number;
  value?: unknown;
  options?: ApiInteractionOption[];
  focused?: boolean;
}

/** Entities referenced by user/channel/role/mentionable options, keyed by id. */
export interface ApiResolvedData {
  users?: Record<Snowflake, ApiUser>;
  members?: Record<Snowflake, Omit<ApiGuildMember, "user" | "deaf" | "mute">>;
  roles?: Record<Snowflake, ApiRole>;
  channels?: Record<
    Snowflake,
    Pick<ApiChannel, "id" | "type" | "name" | "parent_id"> & { permissions: string }
  >;
  /** Message context-menu targets. */
  messages?: Record<Snowflake, ApiMessage>;
}

export interface ApiInteractionData {
  id?: Snowflake;
  name?: string;
  type?: number;
  guild_id?: Snowflake;
  options?: ApiInteractionOption[];
  resolved?: ApiResolvedData;
  /** Context menus: the user or message the command was run on. */
  target_id?: Snowflake;
  custom_id?: string;
  component_type?: number;
  values?: string[];
}

export interface ApiInteraction {
  id: Snowflake;
  application_id: Snowflake;
  type: number;
  data?: ApiInteractionData;
  guild?: { id: Snowflake; locale: string; features: string[] };
  guild_id?: Snowflake;
  channel?: ApiChannel;
  channel_id?: Snowflake;
  member?: ApiGuildMember;
  user?: ApiUser;
  token: string;
  version: 1;
  message?: ApiMessage;
  app_permissions: string;
  locale: string;
  guild_locale?: string;
  entitlements: unknown[];
  authorizing_integration_owners: Record<string, Snowflake>;
  context: number;
  attachment_size_limit: number;
}

export interface ApiApplication {
  id: Snowflake;
  name: string;
  icon: string | null;
  description: string;
  bot_public: boolean;
  bot_require_code_grant: boolean;
  bot?: ApiUser;
  verify_key: string;
  flags: number;
  team: null;
  owner?: ApiUser;
  type: number | null;
  flags_new: string;
  redirect_uris: string[];
  role_connections_verification_url: string | null;
  explicit_content_filter: number;
  summary: string;
  approximate_guild_count?: number;
  interactions_endpoint_url: string | null;
  tags?: string[];
}

export interface ApiBan {
  reason: string | null;
  user: ApiUser;
}

/** An incoming (channel) webhook; `token` only for its creator and token routes. */
export interface ApiWebhook {
  id: Snowflake;
  type: 1;
  guild_id: Snowflake;
  channel_id: Snowflake;
  user?: ApiUser;
  name: string;
  avatar: string | null;
  token?: string;
  application_id: Snowflake | null;
}

/** One audit log entry (Discord's shape). */
export interface ApiAuditLogEntry {
  id: Snowflake;
  user_id: Snowflake;
  target_id: Snowflake | null;
  action_type: number;
  reason?: string;
  options?: Record<string, string>;
  changes?: { key: string; new_value?: unknown; old_value?: unknown }[];
}
