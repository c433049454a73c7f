/**
 * A guild's project in the editor: its files, which one is the entry, and
 * the draft kept in `localStorage` on every change, so unsaved work survives
 * a reload and switching guilds (each guild has its own draft).
 *
 * @module
 */

/** The files of a project and its entry. */
export interface ProjectState {
  entry: string;
  files: Record<string, string>;
  /** The revision these files started from (null: a new project). */
  baseRevision: number | null;
}

/** The starting project of a guild with nothing deployed: `examples/ping.ts`, served as `starter`. */
export async function starterProject(starterUrl: string): Promise<ProjectState> {
  const text = await fetch(starterUrl).then((r) => r.ok ? r.text() : "createBot({});\n");
  return { entry: "main.ts", baseRevision: null, files: { "main.ts": text } };
}

const key = (guildId: string) => `flora.draft.${guildId}`;

/** The guild's saved draft, if any. */
export function loadDraft(guildId: string): ProjectState | null {
  try {
    const raw = localStorage.getItem(key(guildId));
    if (!raw) return null;
    const draft = JSON.parse(raw) as ProjectState;
    if (typeof draft.entry !== "string" || typeof draft.files !== "object") return null;
    return draft;
  } catch {
    return null;
  }
}

/** Keeps the draft (called on every edit). */
export function saveDraft(guildId: string, project: ProjectState): void {
  localStorage.setItem(key(guildId), JSON.stringify(project));
}

/** Forgets the draft (after a deploy made it live). */
export function clearDraft(guildId: string): void {
  localStorage.removeItem(key(guildId));
}

/** Checks a file name the author typed; returns an error message or null. */
export function checkFileName(name: string, existing: Record<string, string>): string | null {
  if (!/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*\.(ts|js)$/.test(name)) {
    return "use letters, digits, _ or - with / between folders, ending in .ts or .js (e.g. lib/util.ts)";
  }
  if (name in existing) return `${name} already exists`;
  return null;
}
