/**
 * No import cycles, between files or between folders, in flora's own
 * (non-test) modules. The graph is `deno info --json`'s, so type-only
 * imports count too.
 *
 * A folder imports what its files and its subfolders' files import; a cycle
 * is two folders, neither inside the other, that reach each other (`cli`
 * importing `dev` while `dev` imports `cli/bundle.ts`). A folder and its
 * subfolders may use each other (a `mod.ts` composes its parts).
 */

import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);
const SKIP = new Set(["dist", "node_modules"]);

/** Every non-test TypeScript module of the repository, relative to it. */
function sourceFiles(dir = ""): string[] {
  const out: string[] = [];
  for (const entry of Deno.readDirSync(new URL(dir || ".", ROOT))) {
    const path = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory && !entry.name.startsWith(".") && !SKIP.has(entry.name)) {
      out.push(...sourceFiles(path));
    } else if (entry.isFile && /\.tsx?$/.test(entry.name) && !/_test\.tsx?$/.test(entry.name)) {
      out.push(path);
    }
  }
  return out;
}

/** file → files it imports (both relative to the repository). */
async function importGraph(): Promise<Map<string, Set<string>>> {
  const dir = await Deno.makeTempDir({ prefix: "flora-cycles-" });
  try {
    const entry = `${dir}/all.ts`;
    const files = sourceFiles();
    await Deno.writeTextFile(
      entry,
      files.map((f) => `import "${new URL(f, ROOT).href}";`).join("\n"),
    );
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", "--config", new URL("deno.json", ROOT).pathname, entry],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(output.success, new TextDecoder().decode(output.stderr));
    const info = JSON.parse(new TextDecoder().decode(output.stdout)) as {
      modules: {
        specifier: string;
        dependencies?: { code?: { specifier: string }; type?: { specifier: string } }[];
      }[];
    };
    const local = (specifier: string) =>
      specifier.startsWith(ROOT.href) ? specifier.slice(ROOT.href.length) : undefined;
    const graph = new Map<string, Set<string>>();
    for (const module of info.modules) {
      const from = local(module.specifier);
      if (!from) continue;
      const to = new Set<string>();
      for (const dep of module.dependencies ?? []) {
        for (const target of [dep.code?.specifier, dep.type?.specifier]) {
          const file = target && local(target);
          if (file) to.add(file);
        }
      }
      graph.set(from, to);
    }
    return graph;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Strongly connected components of more than one node (Tarjan). */
function cycles(graph: Map<string, Set<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

const folderOf = (file: string) => file.includes("/") ? file.slice(0, file.lastIndexOf("/")) : "";
const inside = (a: string, b: string) => a === b || b === "" || a.startsWith(`${b}/`);

/** folder → folders it imports, lifted to each enclosing folder not enclosing the target. */
function folderGraph(files: Map<string, Set<string>>): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const [from, targets] of files) {
    for (const to of targets) {
      const target = folderOf(to);
      for (let source = folderOf(from);; source = folderOf(source)) {
        if (!inside(source, target) && !inside(target, source)) {
          if (!graph.has(source)) graph.set(source, new Set());
          graph.get(source)!.add(target);
        }
        if (source === "") break;
      }
    }
  }
  return graph;
}

Deno.test("flora's modules import each other without cycles, between files or folders", async () => {
  const files = await importGraph();
  assert.ok(files.size > 100, `the graph holds only ${files.size} files`);
  assert.deepEqual(cycles(files), [], "files that import each other");
  assert.deepEqual(cycles(folderGraph(files)), [], "folders that import each other");
});
