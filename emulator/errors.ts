/**
 * Discord's JSON error bodies (`{ message, code }`, plus an `errors` tree for
 * form validation). Handlers throw `DiscordError`; the REST router turns it
 * into the response Discord would send.
 *
 * @module
 */

/** JSON error codes the emulator returns, with Discord's own messages. */
export const ErrorCodes = {
  General: { code: 0, message: "General error" },
  UnknownChannel: { code: 10003, message: "Unknown Channel" },
  UnknownGuild: { code: 10004, message: "Unknown Guild" },
  UnknownMember: { code: 10007, message: "Unknown Member" },
  UnknownMessage: { code: 10008, message: "Unknown Message" },
  UnknownRole: { code: 10011, message: "Unknown Role" },
  UnknownUser: { code: 10013, message: "Unknown User" },
  UnknownEmoji: { code: 10014, message: "Unknown Emoji" },
  UnknownWebhook: { code: 10015, message: "Unknown Webhook" },
  UnknownBan: { code: 10026, message: "Unknown Ban" },
  UnknownApplicationCommand: { code: 10063, message: "Unknown application command" },
  UnknownInteraction: { code: 10062, message: "Unknown interaction" },
  MissingAccess: { code: 50001, message: "Missing Access" },
  CannotSendEmptyMessage: { code: 50006, message: "Cannot send an empty message" },
  CannotSendToUser: { code: 50007, message: "Cannot send messages to this user" },
  CannotEditOtherUsersMessage: {
    code: 50005,
    message: "Cannot edit a message authored by another user",
  },
  MissingPermissions: { code: 50013, message: "Missing Permissions" },
  WrongChannelType: { code: 50024, message: "Cannot execute action on this channel type" },
  BulkDeleteTooOld: {
    code: 50034,
    message: "You can only bulk delete messages that are under 14 days old.",
  },
  InvalidFormBody: { code: 50035, message: "Invalid Form Body" },
  AlreadyAcknowledged: { code: 40060, message: "Interaction has already been acknowledged." },
  MaxPins: { code: 30003, message: "Maximum number of pins reached (50)" },
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** One leaf of an `errors` tree: `{ _errors: [{ code, message }] }`. */
export interface FieldError {
  code: string;
  message: string;
}

/** Discord's nested `errors` object (keys are field names or array indexes). */
export interface ErrorTree {
  _errors?: FieldError[];
  [field: string]: ErrorTree | FieldError[] | undefined;
}

/** The JSON body of every Discord error response. */
export interface DiscordErrorBody {
  message: string;
  code: number;
  errors?: ErrorTree;
  /** 429 only: seconds until the bucket resets. */
  retry_after?: number;
  /** 429 only: whether the global limit was hit. */
  global?: boolean;
}

/** A failure with the HTTP status and body Discord would answer with. */
export class DiscordError extends Error {
  readonly status: number;
  readonly body: DiscordErrorBody;
  /** Extra response headers (Retry-After and X-RateLimit-* on a 429). */
  headers?: Record<string, string>;

  constructor(status: number, error: ErrorCode | DiscordErrorBody, errors?: ErrorTree) {
    super(error.message);
    this.status = status;
    this.body = { message: error.message, code: error.code };
    if (errors ?? ("errors" in error ? error.errors : undefined)) {
      this.body.errors = errors ?? ("errors" in error ? error.errors : undefined);
    }
  }
}

/** 404 with one of the "Unknown X" codes. */
export function notFound(error: ErrorCode): DiscordError {
  return new DiscordError(404, error);
}

/** 400 Invalid Form Body for one field path (e.g. `["content"]`). */
export function invalidField(path: (string | number)[], code: string, message: string) {
  const root: ErrorTree = {};
  let node = root;
  for (const key of path) {
    const child: ErrorTree = {};
    node[String(key)] = child;
    node = child;
  }
  node._errors = [{ code, message }];
  return new DiscordError(400, ErrorCodes.InvalidFormBody, root);
}

/** 401 for a missing or wrong token, exactly as Discord words it. */
export function unauthorized(): DiscordError {
  return new DiscordError(401, { message: "401: Unauthorized", code: 0 });
}

/** 403 Missing Permissions (50013). */
export function missingPermissions(): DiscordError {
  return new DiscordError(403, ErrorCodes.MissingPermissions);
}

/** 400 Cannot execute action on this channel type (50024). */
export function wrongChannelType(): DiscordError {
  return new DiscordError(400, ErrorCodes.WrongChannelType);
}
