/**
 * Application command endpoints, global and per guild: list, get, create
 * (upsert by name), edit, delete and bulk overwrite. Ids survive an overwrite
 * when name and type match, as on Discord.
 *
 * @module
 */

import type { Hono } from "hono";
import { isRecord } from "../body.ts";
import { DiscordError, ErrorCodes, type ErrorTree, notFound } from "../errors.ts";
import type { EmulatorState } from "../state.ts";
import type { ApiApplicationCommand, ApiCommandOption } from "../types.ts";
import { noContent, ok, type RestContext, route } from "./router.ts";

const NAME = /^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;
const MAX_COMMANDS = 100;

/** Validates one command body; returns the field errors Discord would report. */
export function validateCommand(input: unknown): ErrorTree | null {
  if (!isRecord(input)) {
    return { _errors: [{ code: "DICT_TYPE_CONVERT", message: "Only dictionaries may be used." }] };
  }
  const errors: ErrorTree = {};
  const type = input.type ?? 1;
  if (type !== 1 && type !== 2 && type !== 3 && type !== 4) {
    errors.type = {
      _errors: [{ code: "BASE_TYPE_CHOICES", message: "Value must be one of {1, 2, 3, 4}." }],
    };
  }
  const name = input.name;
  if (typeof name !== "string") {
    errors.name = { _errors: [{ code: "BASE_TYPE_REQUIRED", message: "This field is required" }] };
  } else if (type === 1 && (!NAME.test(name) || name !== name.toLowerCase())) {
    errors.name = {
      _errors: [{ code: "APPLICATION_COMMAND_INVALID_NAME", message: "Command name is invalid" }],
    };
  } else if (name.length < 1 || name.length > 32) {
    errors.name = {
      _errors: [{ code: "BASE_TYPE_BAD_LENGTH", message: "Must be between 1 and 32 in length." }],
    };
  }
  const description = input.description;
  if (type === 1) {
    if (typeof description !== "string" || description.length < 1 || description.length > 100) {
      errors.description = {
        _errors: [{
          code: "BASE_TYPE_BAD_LENGTH",
          message: "Must be between 1 and 100 in length.",
        }],
      };
    }
  }
  if (input.options !== undefined && input.options !== null) {
    const optionErrors = validateOptions(input.options);
    if (optionErrors) errors.options = optionErrors;
  }
  return Object.keys(errors).length ? errors : null;
}

function validateOptions(options: unknown): ErrorTree | null {
  if (!Array.isArray(options)) {
    return { _errors: [{ code: "LIST_TYPE_CONVERT", message: "Must be an array." }] };
  }
  if (options.length > 25) {
    return {
      _errors: [{ code: "BASE_TYPE_MAX_LENGTH", message: "Must be 25 or fewer in length." }],
    };
  }
  const errors: ErrorTree = {};
  let optionalSeen = false;
  options.forEach((option, i) => {
    const e: ErrorTree = {};
    if (!isRecord(option)) {
      errors[i] = {
        _errors: [{ code: "DICT_TYPE_CONVERT", message: "Only dictionaries may be used." }],
      };
      return;
    }
    if (typeof option.type !== "number" || option.type < 1 || option.type > 11) {
      e.type = { _errors: [{ code: "BASE_TYPE_CHOICES", message: "Value must be one of 1–11." }] };
    }
    if (typeof option.name !== "string" || !NAME.test(option.name)) {
      e.name = {
        _errors: [{ code: "APPLICATION_COMMAND_INVALID_NAME", message: "Command name is invalid" }],
      };
    }
    if (
      typeof option.description !== "string" || option.description.length < 1 ||
      option.description.length > 100
    ) {
      e.description = {
        _errors: [{
          code: "BASE_TYPE_BAD_LENGTH",
          message: "Must be between 1 and 100 in length.",
        }],
      };
    }
    // Required options come first: Discord refuses one after an optional option.
    if (option.required === true && optionalSeen) {
      e.required = {
        _errors: [{
          code: "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
          message: "Required options must be placed before non-required options",
        }],
      };
    }
    if (option.type !== 1 && option.type !== 2 && option.required !== true) optionalSeen = true;
    if (option.autocomplete === true && Array.isArray(option.choices) && option.choices.length) {
      e.autocomplete = {
        _errors: [{
          code: "APPLICATION_COMMAND_OPTION_AUTOCOMPLETE_WITH_CHOICES",
          message: "Autocomplete cannot be enabled on an option that has choices",
        }],
      };
    }
    if (option.options !== undefined) {
      const nested = validateOptions(option.options);
      if (nested) e.options = nested;
    }
    if (Object.keys(e).length) errors[i] = e;
  });
  return Object.keys(errors).length ? errors : null;
}

function toCommand(
  state: EmulatorState,
  input: Record<string, unknown>,
  guildId: string | undefined,
  id: string,
): ApiApplicationCommand {
  const type = typeof input.type === "number" ? input.type : 1;
  const command: ApiApplicationCommand = {
    id,
    type,
    application_id: state.application.id,
    name: String(input.name),
    name_localizations: isRecord(input.name_localizations)
      ? input.name_localizations as Record<string, string>
      : null,
    description: type === 1 ? String(input.description ?? "") : "",
    description_localizations: isRecord(input.description_localizations)
      ? input.description_localizations as Record<string, string>
      : null,
    // Sent as an integer (Discord's spec) or a string; answered as a string.
    default_member_permissions: typeof input.default_member_permissions === "string" ||
        typeof input.default_member_permissions === "number"
      ? String(input.default_member_permissions)
      : null,
    nsfw: input.nsfw === true,
    version: state.ids.next(),
  };
  if (Array.isArray(input.options)) {
    command.options = structuredClone(input.options) as ApiCommandOption[];
  }
  if (guildId) {
    command.guild_id = guildId;
  } else {
    command.integration_types = Array.isArray(input.integration_types)
      ? input.integration_types.filter((n): n is number => typeof n === "number")
      : [0];
    command.contexts = Array.isArray(input.contexts)
      ? input.contexts.filter((n): n is number => typeof n === "number")
      : null;
  }
  return command;
}

export function registerCommandRoutes(app: Hono, ctx: RestContext): void {
  const { state } = ctx;

  /** Resolves the command list for a scope, checking the application and guild. */
  const scope = (applicationId: string, guildId?: string): ApiApplicationCommand[] => {
    if (applicationId !== state.application.id) {
      throw new DiscordError(403, ErrorCodes.MissingAccess);
    }
    if (guildId) {
      const guild = state.guild(guildId);
      if (!guild.members.has(state.botUser.id)) {
        throw new DiscordError(403, ErrorCodes.MissingAccess);
      }
    }
    const key = guildId ?? "global";
    let list = state.commands.get(key);
    if (!list) {
      list = [];
      state.commands.set(key, list);
    }
    return list;
  };

  const bulkOverwrite = (applicationId: string, guildId: string | undefined, body: unknown) => {
    const list = scope(applicationId, guildId);
    if (!Array.isArray(body)) {
      throw new DiscordError(400, ErrorCodes.InvalidFormBody, {
        _errors: [{ code: "LIST_TYPE_CONVERT", message: "Must be an array." }],
      });
    }
    if (body.length > MAX_COMMANDS) {
      throw new DiscordError(400, ErrorCodes.InvalidFormBody, {
        _errors: [{ code: "BASE_TYPE_MAX_LENGTH", message: "Must be 100 or fewer in length." }],
      });
    }
    const errors: ErrorTree = {};
    body.forEach((command, i) => {
      const e = validateCommand(command);
      if (e) errors[i] = e;
    });
    const seen = new Set<string>();
    body.forEach((command, i) => {
      if (!isRecord(command)) return;
      const key = `${command.type ?? 1}:${command.name}`;
      if (seen.has(key)) {
        errors[i] = {
          name: {
            _errors: [{
              code: "APPLICATION_COMMANDS_DUPLICATE_NAME",
              message: "Application command names must be unique",
            }],
          },
        };
      }
      seen.add(key);
    });
    if (Object.keys(errors).length) throw new DiscordError(400, ErrorCodes.InvalidFormBody, errors);
    const next = (body as Record<string, unknown>[]).map((input) => {
      const existing = list.find((c) => c.name === input.name && c.type === (input.type ?? 1));
      return toCommand(state, input, guildId, existing?.id ?? state.ids.next());
    });
    state.commands.set(guildId ?? "global", next);
    return ok(next);
  };

  const create = (applicationId: string, guildId: string | undefined, body: unknown) => {
    const list = scope(applicationId, guildId);
    const errors = validateCommand(body);
    if (errors) throw new DiscordError(400, ErrorCodes.InvalidFormBody, errors);
    const input = body as Record<string, unknown>;
    const index = list.findIndex((c) => c.name === input.name && c.type === (input.type ?? 1));
    if (index === -1 && list.length >= MAX_COMMANDS) {
      throw new DiscordError(400, {
        code: 30032,
        message: "Maximum number of application commands reached (100)",
      });
    }
    const command = toCommand(
      state,
      input,
      guildId,
      index === -1 ? state.ids.next() : list[index].id,
    );
    if (index === -1) list.push(command);
    else list[index] = command;
    return { status: index === -1 ? 201 : 200, body: command };
  };

  const find = (list: ApiApplicationCommand[], id: string) => {
    const command = list.find((c) => c.id === id);
    if (!command) throw notFound(ErrorCodes.UnknownApplicationCommand);
    return command;
  };

  const edit = (applicationId: string, guildId: string | undefined, id: string, body: unknown) => {
    const list = scope(applicationId, guildId);
    const current = find(list, id);
    if (!isRecord(body)) throw new DiscordError(400, ErrorCodes.InvalidFormBody);
    const merged = { ...current, ...body, type: current.type };
    const errors = validateCommand(merged);
    if (errors) throw new DiscordError(400, ErrorCodes.InvalidFormBody, errors);
    const command = toCommand(state, merged, guildId, id);
    list[list.indexOf(current)] = command;
    return ok(command);
  };

  const remove = (applicationId: string, guildId: string | undefined, id: string) => {
    const list = scope(applicationId, guildId);
    const command = find(list, id);
    list.splice(list.indexOf(command), 1);
    return noContent();
  };

  // Global commands.
  route(
    app,
    ctx,
    "GET",
    "/applications/:application_id/commands",
    ({ params }) => ok(scope(params.application_id)),
  );
  route(
    app,
    ctx,
    "PUT",
    "/applications/:application_id/commands",
    ({ params, body }) => bulkOverwrite(params.application_id, undefined, body.json),
  );
  route(
    app,
    ctx,
    "POST",
    "/applications/:application_id/commands",
    ({ params, body }) => create(params.application_id, undefined, body.json),
  );
  route(
    app,
    ctx,
    "GET",
    "/applications/:application_id/commands/:command_id",
    ({ params }) => ok(find(scope(params.application_id), params.command_id)),
  );
  route(
    app,
    ctx,
    "PATCH",
    "/applications/:application_id/commands/:command_id",
    ({ params, body }) => edit(params.application_id, undefined, params.command_id, body.json),
  );
  route(
    app,
    ctx,
    "DELETE",
    "/applications/:application_id/commands/:command_id",
    ({ params }) => remove(params.application_id, undefined, params.command_id),
  );

  // Guild commands.
  const base = "/applications/:application_id/guilds/:guild_id/commands";
  route(app, ctx, "GET", base, ({ params }) => ok(scope(params.application_id, params.guild_id)));
  route(
    app,
    ctx,
    "PUT",
    base,
    ({ params, body }) => bulkOverwrite(params.application_id, params.guild_id, body.json),
  );
  route(
    app,
    ctx,
    "POST",
    base,
    ({ params, body }) => create(params.application_id, params.guild_id, body.json),
  );
  route(
    app,
    ctx,
    "GET",
    `${base}/:command_id`,
    ({ params }) => ok(find(scope(params.application_id, params.guild_id), params.command_id)),
  );
  route(
    app,
    ctx,
    "PATCH",
    `${base}/:command_id`,
    ({ params, body }) =>
      edit(params.application_id, params.guild_id, params.command_id, body.json),
  );
  route(
    app,
    ctx,
    "DELETE",
    `${base}/:command_id`,
    ({ params }) => remove(params.application_id, params.guild_id, params.command_id),
  );
}
