/**
 * Request-body validation against Discord's own OpenAPI spec (the Zod
 * schemas generated into the `discord-api-spec` package), reported as
 * Discord does: 400, code 50035 "Invalid Form Body", with an `errors` tree.
 * Semantic checks the spec cannot express stay in the handlers.
 *
 * @module
 */

import {
  ApplicationCommandAutocompleteCallbackRequestSchema,
  ApplicationCommandCreateRequestSchema,
  ApplicationCommandPatchRequestPartialSchema,
  ApplicationCommandUpdateRequestSchema,
  BanUserFromGuildRequestSchema,
  CreateMessageInteractionCallbackRequestSchema,
  CreatePrivateChannelRequestSchema,
  IncomingWebhookRequestPartialSchema,
  IncomingWebhookUpdateRequestPartialSchema,
  MessageCreateRequestSchema,
  MessageEditRequestPartialSchema,
  ModalInteractionCallbackRequestSchema,
  PongInteractionCallbackRequestSchema,
  UpdateMessageInteractionCallbackRequestSchema,
} from "discord-api-spec/zod";
import { isRecord } from "../body.ts";
import { DiscordError, ErrorCodes, type ErrorTree, type FieldError } from "../errors.ts";

/** One Zod issue, as much of it as the mapping needs. */
interface Issue {
  code: string;
  path: PropertyKey[];
  expected?: string;
  origin?: string;
  maximum?: number | bigint;
  minimum?: number | bigint;
  input?: unknown;
  values?: unknown[];
  format?: string;
}

interface Schema {
  safeParse(value: unknown): { success: boolean; error?: { issues: Issue[] } };
}

/** Picks the schema for a body (interaction callbacks vary by `type`). */
type SchemaFor = (body: unknown) => Schema | null;

const fixed = (schema: Schema): SchemaFor => () => schema;

/** Bulk overwrite takes an array of commands; validate each element. */
const arrayOf = (element: Schema): SchemaFor => (body) => ({
  safeParse(value: unknown) {
    if (!Array.isArray(value)) {
      return {
        success: false,
        error: { issues: [{ code: "invalid_type", expected: "array", path: [] }] },
      };
    }
    const issues: Issue[] = [];
    value.forEach((item, i) => {
      const result = element.safeParse(item);
      for (const issue of result.error?.issues ?? []) {
        issues.push({ ...issue, path: [i, ...issue.path] });
      }
    });
    void body;
    return issues.length ? { success: false, error: { issues } } : { success: true };
  },
});

const callback: SchemaFor = (body) => {
  const type = isRecord(body) ? body.type : undefined;
  switch (type) {
    case 1:
      return PongInteractionCallbackRequestSchema;
    case 4:
    case 5:
      return CreateMessageInteractionCallbackRequestSchema;
    case 6:
    case 7:
      return UpdateMessageInteractionCallbackRequestSchema;
    case 8:
      return ApplicationCommandAutocompleteCallbackRequestSchema;
    case 9:
      return ModalInteractionCallbackRequestSchema;
    default:
      return null; // The handler reports an invalid `type`.
  }
};

/** Route label → request schema. */
const SCHEMAS: Record<string, SchemaFor> = {
  "POST /channels/:id/messages": fixed(MessageCreateRequestSchema),
  "PATCH /channels/:id/messages/:id": fixed(MessageEditRequestPartialSchema),
  "PUT /applications/:id/commands": arrayOf(ApplicationCommandUpdateRequestSchema),
  "PUT /applications/:id/guilds/:id/commands": arrayOf(ApplicationCommandUpdateRequestSchema),
  "POST /applications/:id/commands": fixed(ApplicationCommandCreateRequestSchema),
  "POST /applications/:id/guilds/:id/commands": fixed(ApplicationCommandCreateRequestSchema),
  "PATCH /applications/:id/commands/:id": fixed(ApplicationCommandPatchRequestPartialSchema),
  "PATCH /applications/:id/guilds/:id/commands/:id": fixed(
    ApplicationCommandPatchRequestPartialSchema,
  ),
  "POST /interactions/:id/:token/callback": callback,
  "POST /webhooks/:id/:token": fixed(IncomingWebhookRequestPartialSchema),
  "PATCH /webhooks/:id/:token/messages/:id": fixed(IncomingWebhookUpdateRequestPartialSchema),
  "PUT /guilds/:id/bans/:id": fixed(BanUserFromGuildRequestSchema),
  "POST /users/@me/channels": fixed(CreatePrivateChannelRequestSchema),
};

/** Throws Discord's 50035 when `body` does not match the route's schema. */
export function validateBody(label: string, body: unknown): void {
  const schema = SCHEMAS[label]?.(body);
  if (!schema) return;
  // Bodiless requests are validated as empty objects, as Discord treats them.
  const value = body === null && !label.startsWith("PUT /applications") ? {} : body;
  const result = schema.safeParse(value);
  if (result.success || !result.error) return;
  const tree: ErrorTree = {};
  let count = 0;
  for (const issue of result.error.issues) {
    // Zod omits the offending input unless asked; read it from the body.
    const input = issue.input ?? valueAt(value, issue.path);
    // The spec types int64 fields (permission bitfields, …) as numbers, but Discord
    // accepts — and documents — them as decimal strings.
    if (
      issue.code === "invalid_type" && (issue.expected === "number" || issue.expected === "int") &&
      typeof input === "string" && /^\d+$/.test(input)
    ) continue;
    // Discord reads snowflakes sent as JSON integers too (its own docs send
    // `attachments: [{ id: 0 }]`); the spec's string-only type does not say so.
    if (
      issue.code === "invalid_type" && issue.expected === "string" &&
      Number.isSafeInteger(input) && (input as number) >= 0 && isSnowflakeField(issue.path)
    ) continue;
    // The spec lists only replies (0); Discord also accepts forwards (1).
    if (
      issue.code === "invalid_value" && input === 1 &&
      issue.path.join(".") === "message_reference.type"
    ) continue;
    addIssue(tree, { ...issue, input });
    count++;
  }
  if (count === 0) return;
  throw new DiscordError(400, ErrorCodes.InvalidFormBody, tree);
}

/** `id`, `*_id`, or an element of a `*_ids` list. */
function isSnowflakeField(path: PropertyKey[]): boolean {
  const last = path.at(-1);
  const key = typeof last === "number" ? path.at(-2) : last;
  return typeof key === "string" &&
    (key === "id" || key.endsWith("_id") || (typeof last === "number" && key.endsWith("_ids")));
}

/** The value at `path` inside `root` (undefined where the path leaves it). */
export function valueAt(root: unknown, path: PropertyKey[]): unknown {
  let node = root;
  for (const key of path) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

function addIssue(tree: ErrorTree, issue: Issue): void {
  let node = tree;
  for (const key of issue.path) {
    const name = String(key);
    const child = node[name];
    if (child && !Array.isArray(child)) {
      node = child;
    } else {
      const next: ErrorTree = {};
      node[name] = next;
      node = next;
    }
  }
  (node._errors ??= []).push(describe(issue));
}

/** Zod issue → Discord's error code and wording. */
function describe(issue: Issue): FieldError {
  switch (issue.code) {
    case "invalid_type":
      return describeType(issue);
    case "too_big":
      return issue.origin === "string" || issue.origin === "array"
        ? {
          code: "BASE_TYPE_MAX_LENGTH",
          message: `Must be ${issue.maximum} or fewer in length.`,
        }
        : {
          code: "NUMBER_TYPE_MAX",
          message: `int value should be less than or equal to ${issue.maximum}.`,
        };
    case "too_small":
      return issue.origin === "string" || issue.origin === "array"
        ? { code: "BASE_TYPE_MIN_LENGTH", message: `Must be ${issue.minimum} or more in length.` }
        : {
          code: "NUMBER_TYPE_MIN",
          message: `int value should be greater than or equal to ${issue.minimum}.`,
        };
    case "invalid_format":
      return issue.format === "regex"
        ? { code: "NUMBER_TYPE_COERCE", message: `Value "${issue.input}" is not snowflake.` }
        : { code: "STRING_TYPE_REGEX", message: "String value did not match validation regex." };
    case "invalid_value":
      return {
        code: "BASE_TYPE_CHOICES",
        message: `Value must be one of ${JSON.stringify(issue.values ?? [])}.`,
      };
    case "invalid_union":
      return { code: "UNION_TYPE_CHOICES", message: "Value does not match any allowed shape." };
    default:
      return { code: "BASE_TYPE_INVALID", message: "Invalid Form Body" };
  }
}

/** A wrong or missing type, in Discord's words. */
function describeType(issue: Issue): FieldError {
  if (issue.input === undefined) {
    return { code: "BASE_TYPE_REQUIRED", message: "This field is required" };
  }
  switch (issue.expected) {
    case "string":
      return { code: "BASE_TYPE_STRING", message: "Must be a string." };
    case "number":
    case "int":
      return { code: "NUMBER_TYPE_COERCE", message: `Value "${issue.input}" is not int.` };
    case "boolean":
      return { code: "BASE_TYPE_BOOLEAN", message: "Must be either true or false." };
    case "array":
      return { code: "BASE_TYPE_ARRAY", message: "Must be an array." };
    case "object":
      return { code: "DICT_TYPE_CONVERT", message: "Only dictionaries may be used in a DictType" };
    default:
      return { code: "BASE_TYPE_INVALID", message: "Invalid type." };
  }
}
