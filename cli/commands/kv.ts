/**
 * `flora kv get|set|delete|list|export|import`: a guild's key-value stores,
 * as its scripts see them.
 *
 * @module
 */

import { request, requestText } from "../../client/api_client.ts";
import { COMMON_HELP, parse } from "../args.ts";
import type { Command } from "../command.ts";
import { resolveGuild, resolveTarget } from "../config.ts";
import { CliError, ExitCode } from "../../client/exit_codes.ts";
import { table } from "../format.ts";
import { count } from "../../shared/plural.ts";

interface Entry {
  key: string;
  value: unknown;
  metadata?: unknown;
  expiresAt?: number;
  version: string;
}

const HELP = `Usage: flora kv <action> --guild <id> [--store <name>] [arguments] [options]

Actions:
  list                     Without --store: the guild's stores. With --store:
                           its keys (--prefix, --limit, --cursor; --all pages)
  get <key>                Print a value (JSON)
  set <key> <json>         Set a value; <json> is JSON ('"text"', 42, '{"a":1}'),
                           or use --string to store the text as it is,
                           --file <path> (or - for stdin) to read it
  delete <key>             Delete a key
  export                   Print the store as JSON lines (--out <file> to save)
  import <file | ->        Load JSON lines (as export writes them); every line is
                           checked before anything is written

Options:
  --guild <id>       The guild (default: $FLORA_GUILD or the config file)
  --store <name>     The store (scripts' kv("<name>"); default "default")
  --ttl <seconds>    set: expire after this long
  --prefix <p>       list: only keys starting with p
  --limit <n>        list: page size (1-1000, default 100)
  --cursor <c>       list: continue after a previous page
  --all              list: every page
  --string           set: store <value> as a string
  --file <path>      set: read the value (JSON, or text with --string) from a file
  --out <file>       export: write to a file instead of stdout
${COMMON_HELP}

Exit codes: 0 ok, 2 usage, 3 API error (the message says what to fix),
5 not allowed, 6 no such key (get, delete).`;

async function readInput(path: string): Promise<string> {
  try {
    if (path === "-") return await new Response(Deno.stdin.readable).text();
    return await Deno.readTextFile(path);
  } catch (error) {
    throw new CliError(ExitCode.Usage, `cannot read ${path}: ${(error as Error).message}`);
  }
}

export const kv: Command = {
  summary: "read and write a guild's KV stores (get, set, delete, list, export, import)",
  help: HELP,
  async run(argv, out) {
    const { values, positionals } = parse(argv, {
      guild: { type: "string" },
      store: { type: "string" },
      ttl: { type: "string" },
      prefix: { type: "string" },
      limit: { type: "string" },
      cursor: { type: "string" },
      all: { type: "boolean", default: false },
      string: { type: "boolean", default: false },
      file: { type: "string" },
      out: { type: "string" },
    });
    const [action, ...args] = positionals;
    if (values.help || action === undefined) {
      out.info(HELP);
      return values.help ? ExitCode.Ok : ExitCode.Usage;
    }
    const need = (n: number, usage: string) => {
      if (args.length !== n) throw new CliError(ExitCode.Usage, `usage: flora kv ${usage}`);
    };
    const guild = await resolveGuild(values.guild);
    const target = await resolveTarget({ api: values.api, token: values.token });
    const store = values.store ?? "default";
    const base = `/kv/${guild}/${encodeURIComponent(store)}`;
    const entryPath = (key: string) => `${base}/entry?key=${encodeURIComponent(key)}`;

    switch (action) {
      case "get": {
        need(1, "get <key>");
        const { body } = await request<{ entry: Entry }>(target, "GET", entryPath(args[0]));
        out.info(JSON.stringify(values.json ? body.entry : body.entry.value, null, 2));
        return ExitCode.Ok;
      }
      case "set": {
        if (values.file === undefined) need(2, "set <key> <json>");
        else need(1, "set <key> --file <path>");
        const text = values.file !== undefined ? await readInput(values.file) : args[1];
        let value: unknown = text;
        if (!values.string) {
          try {
            value = JSON.parse(text);
          } catch {
            throw new CliError(
              ExitCode.Usage,
              `the value must be JSON (e.g. '"${text.slice(0, 20)}"' for text); or pass --string`,
            );
          }
        }
        let ttlMs: number | undefined;
        if (values.ttl !== undefined) {
          const seconds = Number(values.ttl);
          if (!Number.isFinite(seconds) || seconds <= 0) {
            throw new CliError(ExitCode.Usage, "--ttl must be a positive number of seconds");
          }
          ttlMs = Math.ceil(seconds * 1000);
        }
        const { body } = await request<{ entry: Entry }>(target, "PUT", entryPath(args[0]), {
          value,
          ...(ttlMs ? { ttlMs } : {}),
        });
        if (values.json) out.json(body.entry);
        else out.info(`Set ${store}/${args[0]}.`);
        return ExitCode.Ok;
      }
      case "delete": {
        need(1, "delete <key>");
        const { body } = await request<{ deleted: boolean }>(target, "DELETE", entryPath(args[0]));
        if (values.json) out.json(body);
        if (!body.deleted) {
          // Nothing was there: docs/cli.md's exit code 6, so scripts can tell.
          if (!values.json) out.error(`flora kv: ${store}/${args[0]} does not exist`);
          return ExitCode.NotFound;
        }
        if (!values.json) out.info(`Deleted ${store}/${args[0]}.`);
        return ExitCode.Ok;
      }
      case "list": {
        need(0, "list [--store <name>] [--prefix <p>]");
        if (values.store === undefined) {
          const { body } = await request<{ stores: string[] }>(target, "GET", `/kv/${guild}`);
          if (values.json) out.json(body.stores);
          else out.info(body.stores.length ? body.stores.join("\n") : "No stores hold data yet.");
          return ExitCode.Ok;
        }
        const entries: Entry[] = [];
        let cursor = values.cursor;
        do {
          const query = new URLSearchParams();
          if (values.prefix) query.set("prefix", values.prefix);
          if (values.limit) query.set("limit", values.limit);
          if (cursor) query.set("cursor", cursor);
          const { body } = await request<{ entries: Entry[]; cursor?: string }>(
            target,
            "GET",
            `${base}?${query}`,
          );
          entries.push(...body.entries);
          cursor = body.cursor;
        } while (values.all && cursor);
        if (values.json) out.json({ entries, ...(cursor ? { cursor } : {}) });
        else {
          out.info(
            table(
              ["KEY", "VALUE"],
              entries.map((e) => [e.key, JSON.stringify(e.value).slice(0, 60)]),
            ) || "No keys.",
          );
          if (cursor) out.progress(`More keys follow: --cursor ${cursor} (or --all)`);
        }
        return ExitCode.Ok;
      }
      case "export": {
        need(0, "export [--out <file>]");
        const text = await requestText(target, "GET", `${base}/export`);
        if (values.out) {
          await Deno.writeTextFile(values.out, text);
          out.progress(
            `Exported ${count(text.split("\n").filter(Boolean).length, "key")} to ${values.out}.`,
          );
        } else {
          await Deno.stdout.write(new TextEncoder().encode(text));
        }
        return ExitCode.Ok;
      }
      case "import": {
        need(1, "import <file | ->");
        const text = await readInput(args[0]);
        const { body } = await request<{ imported: number; skipped: number }>(
          target,
          "POST",
          `${base}/import`,
          undefined,
          { text, contentType: "application/x-ndjson" },
        );
        if (values.json) out.json(body);
        else {
          out.info(
            `Imported ${count(body.imported, "key")} into ${store}${
              body.skipped ? ` (${body.skipped} already expired, skipped)` : ""
            }.`,
          );
        }
        return ExitCode.Ok;
      }
      default:
        throw new CliError(
          ExitCode.Usage,
          `unknown action '${action}': use get, set, delete, list, export or import`,
        );
    }
  },
};
