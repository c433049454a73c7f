/**
 * The top functions of V8 CPU profiles (`.cpuprofile`, from `--cpu-prof`) by
 * self time, as a flame summary for the docs: share of the busy samples
 * (idle excluded) each function spent in its own code. Several files are
 * summed (e.g. the two sandbox processes' profiles).
 *
 * `deno run -R bench/profile_summary.ts [--top=10] FILE...`
 *
 * @module
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
}

/** A function's share of the busy samples, %. */
export interface FunctionShare {
  name: string;
  percent: number;
}

/** Where a function lives, short: the file name and line. */
function where(frame: ProfileNode["callFrame"]): string {
  if (!frame.url) return "";
  const file = frame.url.slice(frame.url.lastIndexOf("/") + 1);
  return ` ${file}:${frame.lineNumber + 1}`;
}

/** Self-time shares of the busy samples of the profiles, highest first. */
export function topFunctions(profiles: CpuProfile[], top: number): {
  busySamples: number;
  functions: FunctionShare[];
} {
  const counts = new Map<string, number>();
  let busy = 0;
  for (const profile of profiles) {
    const names = new Map<number, string>();
    for (const node of profile.nodes) {
      const name = node.callFrame.functionName || "(anonymous)";
      names.set(node.id, `${name}${where(node.callFrame)}`);
    }
    for (const sample of profile.samples) {
      const name = names.get(sample) ?? "?";
      if (name === "(idle)") continue;
      busy++;
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
  }
  const functions = [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, n]) => ({ name, percent: Math.round((n / busy) * 1000) / 10 }));
  return { busySamples: busy, functions };
}

if (import.meta.main) {
  const top = Number(Deno.args.find((a) => a.startsWith("--top="))?.slice(6) ?? 10);
  const files = Deno.args.filter((a) => !a.startsWith("--"));
  if (files.length === 0) {
    console.error("usage: profile_summary.ts [--top=10] FILE.cpuprofile...");
    Deno.exit(2);
  }
  const profiles = files.map((f) => JSON.parse(Deno.readTextFileSync(f)) as CpuProfile);
  const { busySamples, functions } = topFunctions(profiles, top);
  console.log(`${busySamples} busy samples in ${files.length} profile(s)`);
  for (const f of functions) console.log(`${f.percent.toFixed(1).padStart(5)} %  ${f.name}`);
}
