/**
 * Reading V8 heap snapshots for the memory benches: reachable objects
 * grouped by constructor, and which groups grew between two snapshots.
 *
 * @module
 */

/** Count and self size (bytes) of reachable objects by `type:constructor`. */
export type HeapGroups = Map<string, { count: number; bytes: number }>;

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

/**
 * Groups a heap snapshot's nodes by type and constructor (strings, code
 * and the like by type only).
 *
 * @example
 * ```ts
 * const groups = groupNodes(snapshotJson);
 * groups.get("object:Map"); // { count, bytes }
 * ```
 */
export function groupNodes(text: string): HeapGroups {
  const snap = JSON.parse(text) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [typeAt, nameAt, sizeAt] = ["type", "name", "self_size"].map((f) => fields.indexOf(f));
  const groups: HeapGroups = new Map();
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    const type = types[snap.nodes[i + typeAt]];
    const named = type === "object" || type === "closure" || type === "native";
    const key = named ? `${type}:${snap.strings[snap.nodes[i + nameAt]]}` : type;
    const group = groups.get(key) ?? { count: 0, bytes: 0 };
    group.count++;
    group.bytes += snap.nodes[i + sizeAt];
    groups.set(key, group);
  }
  return groups;
}

/** The bytes of every reachable object in the groups. */
export function reachableBytes(groups: HeapGroups): number {
  let total = 0;
  for (const group of groups.values()) total += group.bytes;
  return total;
}

/**
 * Lines naming the groups whose count grew from one snapshot to the next,
 * largest growth in bytes first.
 *
 * @example
 * ```ts
 * console.log(growth(before, after).join("\n")); // "  +3 object:Map (+240 bytes)"
 * ```
 */
export function growth(from: HeapGroups, to: HeapGroups, top = 12): string[] {
  const rows: { key: string; count: number; bytes: number }[] = [];
  for (const [key, now] of to) {
    const was = from.get(key) ?? { count: 0, bytes: 0 };
    if (now.count > was.count) {
      rows.push({ key, count: now.count - was.count, bytes: now.bytes - was.bytes });
    }
  }
  return rows.sort((a, b) => b.bytes - a.bytes).slice(0, top).map((r) =>
    `  +${r.count} ${r.key} (${r.bytes >= 0 ? "+" : ""}${r.bytes} bytes)`
  );
}
