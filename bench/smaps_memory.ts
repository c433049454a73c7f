/**
 * Where a process's resident memory lives, from `/proc/<pid>/smaps` (Linux):
 * glibc's main arena (`[heap]`), its thread arenas (anonymous mappings that
 * start on a 64 MiB boundary, glibc's `HEAP_MAX_SIZE`: a heuristic), other
 * anonymous memory (V8's 256 KiB pages, thread stacks, large mmap'd blocks)
 * and files (the executable, libraries). Tells native growth apart from
 * V8's.
 *
 * @module
 */

/** Resident bytes by kind of mapping. */
export interface SmapsMemory {
  brkHeap: number;
  mallocArenas: number;
  anonOther: number;
  file: number;
}

/** glibc aligns each thread arena's heap to 64 MiB (`HEAP_MAX_SIZE` on 64-bit). */
const ARENA_ALIGN = 64n * 1024n * 1024n;

/** A process's resident memory by kind of mapping; null when /proc cannot be read. */
export function smapsMemory(pid: number): SmapsMemory | null {
  let text: string;
  try {
    text = Deno.readTextFileSync(`/proc/${pid}/smaps`);
  } catch {
    return null;
  }
  const out: SmapsMemory = { brkHeap: 0, mallocArenas: 0, anonOther: 0, file: 0 };
  let kind: keyof SmapsMemory = "anonOther";
  for (const line of text.split("\n")) {
    const header = /^([0-9a-f]+)-[0-9a-f]+ \S+ \S+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (header) {
      const [, start, inode, name] = header;
      kind = name === "[heap]"
        ? "brkHeap"
        : inode !== "0" && name.startsWith("/")
        ? "file"
        : name === "" && BigInt(`0x${start}`) % ARENA_ALIGN === 0n
        ? "mallocArenas"
        : "anonOther";
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) out[kind] += Number(rss[1]) * 1024;
  }
  return out;
}
