/**
 * The top functions of V8 CPU profiles (`.cpuprofile`, from `--cpu-prof`) by
 * self time, as a flame summary for the docs: share of the busy samples
 * (idle excluded) each function spent in its own code. Several files are
 * summed (e.g. the two sandbox processes' profiles). Allocation profiles
 * (`.heapprofile`, from `bench:cost --profile`) give each function's own
 * allocations instead, in bytes.
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

/** A node of a sampled allocation profile (`.heapprofile`). */
interface HeapNode {
  callFrame: ProfileNode["callFrame"];
  selfSize: number;
  children: HeapNode[];
}

/** Bytes allocated by each function (its own allocations), highest first, and the total. */
export function topAllocations(roots: HeapNode[], top: number): {
  totalBytes: number;
  functions: (FunctionShare & { bytes: number })[];
} {
  const bytes = new Map<string, number>();
  let total = 0;
  const visit = (node: HeapNode) => {
    const name = `${node.callFrame.functionName || "(anonymous)"}${where(node.callFrame)}`;
    total += node.selfSize;
    bytes.set(name, (bytes.get(name) ?? 0) + node.selfSize);
    for (const child of node.children) visit(child);
  };
  for (const root of roots) visit(root);
  const functions = [...bytes]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, n]) => ({ name, bytes: n, percent: Math.round((n / total) * 1000) / 10 }));
  return { totalBytes: total, functions };
}

if (import.meta.main) {
  const top = Number(Deno.args.find((a) => a.startsWith("--top="))?.slice(6) ?? 10);
  const files = Deno.args.filter((a) => !a.startsWith("--"));
  if (files.length === 0) {
    console.error("usage: profile_summary.ts [--top=10] FILE.cpuprofile|FILE.heapprofile...");
    Deno.exit(2);
  }
  const read = (f: string) => JSON.parse(Deno.readTextFileSync(f));
  const heaps = files.filter((f) => f.endsWith(".heapprofile"));
  const cpus = files.filter((f) => !f.endsWith(".heapprofile"));
  if (cpus.length > 0) {
    const { busySamples, functions } = topFunctions(cpus.map(read) as CpuProfile[], top);
    console.log(`${busySamples} busy samples in ${cpus.length} profile(s)`);
    for (const f of functions) console.log(`${f.percent.toFixed(1).padStart(5)} %  ${f.name}`);
  }
  if (heaps.length > 0) {
    const roots = heaps.map((f) => (read(f) as { head: HeapNode }).head);
    const { totalBytes, functions } = topAllocations(roots, top);
    console.log(`${(totalBytes / 1e6).toFixed(1)} MB allocated in ${heaps.length} profile(s)`);
    for (const f of functions) {
      console.log(
        `${f.percent.toFixed(1).padStart(5)} %  ${(f.bytes / 1e6).toFixed(1)} MB  ${f.name}`,
      );
    }
  }
}
