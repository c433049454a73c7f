/**
 * `flora init [dir]`: scaffolds a bot project — `deno.json` (tasks, and the
 * SDK's declarations as compiler types so the editor completes the
 * globals), an example script, and a test.
 *
 * @module
 */

import { parse } from "../args.ts";
import type { Command } from "../command.ts";
import { CliError, ExitCode } from "../../client/exit_codes.ts";
import { copySdkTypes } from "../../client/sdk_files.ts";
import { EXAMPLE_TEST } from "../../testing/scaffold.ts";

/** Where the SDK's declaration files go inside the project. */
const TYPES_DIR = ".flora/types";

const EXAMPLE = `// A flora bot: no imports needed — createBot, slash, prefix, on… are globals.
// Deploy it with: deno task deploy   (or flora deploy --guild <id> main.ts)

const ping = slash({
  name: "ping",
  description: "Check that the bot answers",
  run: async (ctx) => {
    await ctx.reply("pong!");
  },
});

createBot({
  slashCommands: [ping],
  prefixCommands: [prefix({ name: "ping", run: (ctx) => ctx.reply("pong!") })],
});
`;

const TEST = `// Checks that main.ts type-checks against the flora SDK (the same check
// \`flora deploy\` runs before uploading). Run it with: deno task test
import { fromFileUrl } from "./.flora/path.ts";

Deno.test("main.ts type-checks against the flora SDK", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["check", "--quiet", "main.ts"],
    cwd: fromFileUrl(new URL(".", import.meta.url)),
    stderr: "piped",
  }).output();
  if (!output.success) throw new Error(new TextDecoder().decode(output.stderr));
});
`;

const PATH_HELPER =
  `/** A file URL's path (what @std/path's fromFileUrl does, without the dependency). */
export function fromFileUrl(url: URL): string {
  return decodeURIComponent(url.pathname.replace(/^\\/([A-Za-z]:)/, "$1"));
}
`;

/** Machine-local files `flora test` regenerates: not part of the project. */
const GITIGNORE = `.flora/import_map.json
`;

/**
 * The project's `deno.json`: nothing in it names this flora checkout or its dependencies, so the
 * project works wherever it is moved; `flora test` maps the test kit in at run time.
 */
function denoJson(guild: string | undefined) {
  const guildFlag = guild ? ` --guild ${guild}` : "";
  return JSON.stringify(
    {
      tasks: {
        check: "deno check main.ts",
        test: "flora test",
        deploy: `flora deploy${guildFlag} main.ts`,
        logs: `flora logs${guildFlag} -f`,
      },
      compilerOptions: { strict: true, types: [`./${TYPES_DIR}/sdk/globals.d.ts`] },
      fmt: { lineWidth: 100 },
    },
    null,
    2,
  ) + "\n";
}

export const init: Command = {
  summary: "scaffold a bot project (deno.json, SDK types, example, test)",
  help: `Usage: flora init [dir] [options]

Creates a bot project in dir (default: the current directory):

  deno.json           tasks (check, test, deploy, logs: they run \`flora\`) and
                      the SDK's declarations as compiler types, so your editor
                      completes createBot, slash, prefix, on… without imports;
                      nothing in it points into flora's checkout
  main.ts             an example bot (/ping and !ping)
  main_test.ts        tests that run main.ts with flora's test kit
                      (flora/testing: the sandbox and the Discord emulator;
                      \`flora test\` maps it in)
  check_test.ts       a test that type-checks main.ts against the SDK
  .gitignore          the import map \`flora test\` writes under .flora/
  ${TYPES_DIR}/       the SDK's declaration files (re-run with --types-only
                      to update them after upgrading flora)

Options:
  --guild <id>       Put this guild in the deploy and logs tasks
  --force            Overwrite existing files
  --types-only       Only (re)write ${TYPES_DIR}/
  --json             Print the files written as JSON
  -h, --help         Show this help

Exit codes: 0 created, 1 a file exists (use --force), 2 usage.`,
  async run(argv, out) {
    const { values, positionals } = parse(argv, {
      guild: { type: "string" },
      force: { type: "boolean", default: false },
      "types-only": { type: "boolean", default: false },
    });
    if (values.help) {
      out.info(this.help);
      return ExitCode.Ok;
    }
    if (positionals.length > 1) {
      throw new CliError(ExitCode.Usage, "give at most one directory, e.g. flora init my-bot");
    }
    if (values.guild !== undefined && !/^\d{17,20}$/.test(values.guild)) {
      throw new CliError(ExitCode.Usage, "--guild must be a Discord id (17-20 digits)");
    }
    const dir = (positionals[0] ?? ".").replace(/\/+$/, "") || "/";
    await Deno.mkdir(dir, { recursive: true });
    const files: Record<string, string> = values["types-only"] ? {} : {
      "deno.json": denoJson(values.guild),
      "main.ts": EXAMPLE,
      "main_test.ts": EXAMPLE_TEST,
      "check_test.ts": TEST,
      ".flora/path.ts": PATH_HELPER,
      ".gitignore": GITIGNORE,
    };
    if (!values.force) {
      const existing: string[] = [];
      for (const name of Object.keys(files)) {
        try {
          await Deno.lstat(`${dir}/${name}`);
          existing.push(name);
        } catch { /* free */ }
      }
      if (existing.length > 0) {
        out.error(
          `flora init: ${existing.join(", ")} already exist in ${dir}; use --force to overwrite`,
        );
        return ExitCode.Failed;
      }
    }
    const written: string[] = [];
    for (const [name, text] of Object.entries(files)) {
      const path = `${dir}/${name}`;
      await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
      await Deno.writeTextFile(path, text);
      written.push(path);
    }
    await Deno.remove(`${dir}/${TYPES_DIR}`, { recursive: true }).catch(() => {});
    written.push(...await copySdkTypes(`${dir}/${TYPES_DIR}`));
    if (values.json) out.json({ dir, files: written });
    else {
      out.info(
        `Created a flora bot in ${dir}.\n\nNext:\n` +
          (dir === "." ? "" : `  cd ${dir}\n`) +
          "  deno task test        # main.ts type-checked, and run with flora's test kit\n" +
          `  flora deploy --guild ${values.guild ?? "<id>"} main.ts\n\n` +
          "The tasks run `flora` (from `deno task install` in flora's checkout).",
      );
    }
    return ExitCode.Ok;
  },
};
