/**
 * The emulator's world kept in a JSON file, so a restart in the same data dir
 * brings back the same guilds, channels, users, roles, members, messages and
 * registered commands under the same ids (flora's deployments, KV and logs are
 * keyed by those ids). Interactions and gateway sessions are not kept: their
 * tokens expire within minutes and a restarted client identifies afresh.
 *
 * One snapshot of the whole world, written atomically (a temp file beside it,
 * then a rename): a crash mid-write leaves the previous snapshot whole, and a
 * world that changes together (a message and its channel's `last_message_id`)
 * is never half saved. The world's maps are written as they are, so whatever
 * they hold — bounded per-channel histories included — is what comes back.
 *
 * @module
 */

import type { SeededWorld } from "./seed.ts";
import type { EmulatorState } from "./state.ts";
import { errorMessage } from "../shared/error_message.ts";

/** The snapshot format's version; a file of another version is refused, not guessed at. */
const FORMAT = 1;

/** The world's maps that are kept (interactions are not: see the module doc). */
const KEPT = [
  "users",
  "guilds",
  "channels",
  "commands",
  "webhooks",
  "dmChannels",
  "auditLog",
] as const;

/** What the file holds. */
interface WorldSnapshot {
  format: number;
  savedAt: string;
  token: string;
  application: EmulatorState["application"];
  seeded?: SeededWorld;
  world: Record<(typeof KEPT)[number], unknown>;
}

/** A world file exists but cannot be read back; it is left untouched. */
export class WorldFileError extends Error {
  override name = "WorldFileError";
}

/** What a world file restores before the emulator starts. */
export interface SavedWorld {
  token: string;
  botUserId: string;
  applicationFlags: number;
  seeded?: SeededWorld;
  /** Puts the saved maps into a fresh state made with `botUserId`. */
  restore(state: EmulatorState): void;
}

// Maps and Sets are tagged so they come back as Maps and Sets.
function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Map) return { $map: [...value] };
  if (value instanceof Set) return { $set: [...value] };
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const tagged = value as { $map?: [unknown, unknown][]; $set?: unknown[] };
    if (Array.isArray(tagged.$map) && Object.keys(value).length === 1) return new Map(tagged.$map);
    if (Array.isArray(tagged.$set) && Object.keys(value).length === 1) return new Set(tagged.$set);
  }
  return value;
}

/**
 * Reads a world file; `null` when there is none yet.
 *
 * @example
 * ```ts
 * const saved = await readWorldFile(".data/emulator-world.json");
 * const state = new EmulatorState({ botUserId: saved?.botUserId });
 * saved?.restore(state);
 * ```
 */
export async function readWorldFile(path: string): Promise<SavedWorld | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
  let snapshot: WorldSnapshot;
  try {
    snapshot = JSON.parse(text, reviver);
  } catch (error) {
    throw new WorldFileError(
      `the emulator's world file ${path} is not valid JSON (${
        errorMessage(error)
      }); move it away to start a fresh world (deployments stay, under the old guild ids)`,
    );
  }
  if (snapshot?.format !== FORMAT || typeof snapshot.token !== "string" || !snapshot.world) {
    throw new WorldFileError(
      `the emulator's world file ${path} is not a format ${FORMAT} world file; ` +
        "move it away to start a fresh world",
    );
  }
  return {
    token: snapshot.token,
    botUserId: snapshot.application.id,
    applicationFlags: snapshot.application.flags,
    seeded: snapshot.seeded,
    restore(state) {
      for (const name of KEPT) {
        const target = state[name] as Map<unknown, unknown>;
        target.clear();
        // A file from before a map was kept lacks it: that map starts empty.
        const saved = (snapshot.world[name] ?? new Map()) as Map<unknown, unknown>;
        for (const [key, value] of saved) {
          target.set(key, value);
        }
      }
      // The bot user is one object shared by the users map and the application.
      const { bot: _bot, ...application } = snapshot.application;
      Object.assign(state.botUser, state.users.get(state.botUser.id) ?? {});
      state.users.set(state.botUser.id, state.botUser);
      Object.assign(state.application, application, { bot: state.botUser });
    },
  };
}

/** Where and what a {@linkcode WorldFile} saves. */
export interface WorldFileOptions {
  path: string;
  state: EmulatorState;
  token: string;
  seeded?: SeededWorld;
  /**
   * How long a change waits for others before the world is written, ms. The wait is also at
   * least ten times the last write's duration, so saving stays under a tenth of a core however
   * busy the world is (a full world — 1,000 messages in each of four channels, 2 MiB — takes
   * tens of ms to write).
   * @default 1000
   */
  delayMs?: number;
  /** A scheduled write failed (the next change tries again). */
  onError?: (error: unknown) => void;
}

/**
 * Saves the world to a file: `changed()` after a mutation schedules a save
 * (at most one per `delayMs`), `flush()` saves now if anything changed.
 *
 * @example
 * ```ts
 * const file = new WorldFile({ path: ".data/emulator-world.json", state, token });
 * file.changed(); // after a request that may have changed the world
 * await file.flush(); // on close
 * ```
 */
export class WorldFile {
  readonly path: string;
  #options: Required<Omit<WorldFileOptions, "seeded">> & { seeded?: SeededWorld };
  #timer: ReturnType<typeof setTimeout> | undefined;
  #dirty = false;
  #writing: Promise<void> = Promise.resolve();
  #lastWriteMs = 0;

  constructor(options: WorldFileOptions) {
    this.#options = { delayMs: 1000, onError: () => {}, ...options };
    this.path = options.path;
  }

  /** Something may have changed: save soon. */
  changed(): void {
    this.#dirty = true;
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      this.flush().catch(this.#options.onError);
    }, Math.max(this.#options.delayMs, 10 * this.#lastWriteMs));
  }

  /** Writes the world now if it changed since the last write. */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#writing = this.#writing.catch(() => {}).then(async () => {
      if (!this.#dirty) return;
      this.#dirty = false;
      const started = performance.now();
      try {
        await this.#write();
        this.#lastWriteMs = performance.now() - started;
      } catch (error) {
        this.#dirty = true;
        throw error;
      }
    });
    return this.#writing;
  }

  async #write(): Promise<void> {
    const { state, token, seeded } = this.#options;
    const world = Object.fromEntries(KEPT.map((name) => [name, state[name]]));
    const snapshot: WorldSnapshot = {
      format: FORMAT,
      savedAt: new Date().toISOString(),
      token,
      application: state.application,
      seeded,
      world: world as WorldSnapshot["world"],
    };
    const text = JSON.stringify(snapshot, replacer);
    const temp = `${this.path}.${crypto.randomUUID()}.tmp`;
    try {
      await Deno.writeTextFile(temp, text, { mode: 0o600 });
      await Deno.rename(temp, this.path);
    } catch (error) {
      await Deno.remove(temp).catch(() => {});
      throw error;
    }
  }
}
