/**
 * Builds the dashboard's browser assets from npm packages (CodeMirror,
 * TypeScript, esbuild-wasm) and the SDK's declarations, once per source
 * version: the result is cached on disk under a key hashed from every input
 * (the UI sources, `deno.lock`, the SDK's type files), so a fresh clone
 * builds on its first start and later starts reuse it. Nothing is fetched
 * at run time: the browser gets every file from flora.
 *
 * @module
 */

import { sdkTypeFiles } from "../client/sdk_files.ts";

const ROOT = new URL("../", import.meta.url);
const UI = new URL("./ui/", import.meta.url);
const ENTRIES = ["app", "ts_worker", "bundler_worker"] as const;
const SOURCES: Record<(typeof ENTRIES)[number], string> = {
  app: "main.ts",
  ts_worker: "ts_worker.ts",
  bundler_worker: "bundler_worker.ts",
};
/** TypeScript's own declarations the editor checks against (a Deno worker's globals). */
const TS_LIBS = /^lib\.(es[\w.]*|decorators[\w.]*|webworker[\w.]*)\.d\.ts$/;

/** One built file. */
export interface Asset {
  body: Uint8Array<ArrayBuffer>;
  contentType: string;
}

/** The built assets, by file name, and the version key they were built for. */
export interface DashboardAssets {
  key: string;
  files: Map<string, Asset>;
  /** How long the build took (0: read from the cache). */
  buildMs: number;
}

const TYPES: Record<string, string> = {
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  json: "application/json; charset=utf-8",
  wasm: "application/wasm",
  ts: "text/plain; charset=utf-8",
};

function contentType(name: string): string {
  return TYPES[name.slice(name.lastIndexOf(".") + 1)] ?? "application/octet-stream";
}

async function sha256(parts: string[]): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(parts.join("\0")));
  return Array.from(new Uint8Array(digest).slice(0, 8), (b) => b.toString(16).padStart(2, "0"))
    .join("");
}

async function uiSources(): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(UI)) if (entry.isFile) names.push(entry.name);
  return names.sort();
}

/** Where Deno keeps npm packages (`deno info --json`'s `npmCache`). */
async function npmCacheDir(): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
    stderr: "null",
  }).output();
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as { npmCache?: string };
  if (!info.npmCache) throw new Error("`deno info --json` did not say where npm packages are");
  return info.npmCache;
}

/** A package's folder in the npm cache, at the version `deno.json` pins. */
export async function packageDir(name: string): Promise<string> {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT))) as {
    imports: Record<string, string>;
  };
  const version = /@([^@/]+)$/.exec(config.imports[name] ?? "")?.[1];
  if (!version) throw new Error(`deno.json pins no version of ${name}`);
  return `${await npmCacheDir()}/registry.npmjs.org/${name}/${version}`;
}

async function build(): Promise<Map<string, Asset>> {
  const files = new Map<string, Asset>();
  const result = await Deno.bundle({
    entrypoints: ENTRIES.map((e) => new URL(SOURCES[e], UI).href),
    outputDir: "dist",
    write: false,
    format: "esm",
    platform: "browser",
    minify: true,
  });
  if (!result.success || !result.outputFiles) {
    throw new Error(
      `could not build the dashboard: ${result.errors.map((e) => e.text).join("; ")}`,
    );
  }
  for (const file of result.outputFiles) {
    const base = file.path.slice(file.path.lastIndexOf("/") + 1).replace(/\.js$/, "");
    const entry = ENTRIES.find((e) => SOURCES[e].replace(/\.ts$/, "") === base);
    if (!entry || !file.contents) continue;
    files.set(`${entry}.js`, { body: file.contents, contentType: TYPES.js });
  }
  // esbuild's WebAssembly and TypeScript's libraries come from the same npm packages the
  // bundles were built from (already in Deno's npm cache: the bundle step fetched them).
  const esbuild = await packageDir("esbuild-wasm");
  files.set("esbuild.wasm", {
    body: await Deno.readFile(`${esbuild}/esbuild.wasm`),
    contentType: TYPES.wasm,
  });
  const types: Record<string, string> = {};
  const tsLib = `${await packageDir("typescript")}/lib`;
  for await (const entry of Deno.readDir(tsLib)) {
    if (entry.isFile && TS_LIBS.test(entry.name)) {
      types[`/lib/${entry.name}`] = await Deno.readTextFile(`${tsLib}/${entry.name}`);
    }
  }
  for (const file of sdkTypeFiles()) {
    types[`/${file}`] = await Deno.readTextFile(new URL(file, ROOT));
  }
  files.set("types.json", {
    body: new TextEncoder().encode(JSON.stringify(types)),
    contentType: TYPES.json,
  });
  files.set("starter.ts", {
    body: await Deno.readFile(new URL("examples/ping.ts", ROOT)),
    contentType: TYPES.ts,
  });
  files.set("styles.css", {
    body: await Deno.readFile(new URL("styles.css", UI)),
    contentType: TYPES.css,
  });
  return files;
}

/** The cache folder: `$FLORA_CACHE_DIR`, else `$XDG_CACHE_HOME/flora`, else `~/.cache/flora`. */
function cacheRoot(): string {
  const env = (name: string) => Deno.env.get(name);
  return env("FLORA_CACHE_DIR") ??
    `${env("XDG_CACHE_HOME") ?? `${env("HOME") ?? Deno.cwd()}/.cache`}/flora`;
}

async function versionKey(): Promise<string> {
  const parts: string[] = [];
  for (const name of await uiSources()) {
    parts.push(name, await Deno.readTextFile(new URL(name, UI)));
  }
  parts.push(await Deno.readTextFile(new URL("deno.lock", ROOT)).catch(() => ""));
  parts.push(await Deno.readTextFile(new URL("deno.json", ROOT)));
  parts.push(await Deno.readTextFile(new URL("examples/ping.ts", ROOT)));
  for (const file of sdkTypeFiles()) parts.push(file, await Deno.readTextFile(new URL(file, ROOT)));
  parts.push(Deno.version.deno);
  return await sha256(parts);
}

async function readCache(dir: string): Promise<Map<string, Asset> | null> {
  try {
    const names = JSON.parse(await Deno.readTextFile(`${dir}/index.json`)) as string[];
    const files = new Map<string, Asset>();
    for (const name of names) {
      files.set(name, {
        body: await Deno.readFile(`${dir}/${name}`),
        contentType: contentType(name),
      });
    }
    return files;
  } catch {
    return null;
  }
}

async function writeCache(dir: string, files: Map<string, Asset>): Promise<void> {
  // Written beside, then renamed: a concurrent start never reads half a cache.
  const temp = `${dir}.${crypto.randomUUID()}`;
  await Deno.mkdir(temp, { recursive: true });
  for (const [name, asset] of files) await Deno.writeFile(`${temp}/${name}`, asset.body);
  await Deno.writeTextFile(`${temp}/index.json`, JSON.stringify([...files.keys()]));
  await Deno.rename(temp, dir).catch(async () => {
    await Deno.remove(temp, { recursive: true }).catch(() => {});
  });
}

let loading: Promise<DashboardAssets> | undefined;

/**
 * The dashboard's assets: from the disk cache when built before for these
 * sources, else built now (a few seconds) and cached. One build per process.
 *
 * @example
 * ```ts
 * const assets = await dashboardAssets();
 * assets.files.get("app.js")?.contentType; // "text/javascript; charset=utf-8"
 * ```
 */
export function dashboardAssets(): Promise<DashboardAssets> {
  loading ??= (async () => {
    const key = await versionKey();
    const dir = `${cacheRoot()}/dashboard/${key}`;
    const cached = await readCache(dir);
    if (cached) return { key, files: cached, buildMs: 0 };
    const started = performance.now();
    const files = await build();
    const buildMs = Math.round(performance.now() - started);
    await writeCache(dir, files).catch(() => {});
    return { key, files, buildMs };
  })();
  loading.catch(() => loading = undefined);
  return loading;
}
