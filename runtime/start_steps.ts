/**
 * What each part of `startFlora` is handed besides its own dependencies.
 *
 * @module
 */

/** The host's notices and the shutdown steps a part of the start registers. */
export interface StartSteps {
  /** `startFlora`'s shutdown steps, run in reverse order; a part appends its own. */
  cleanups: (() => Promise<void> | void)[];
  notice: (level: "info" | "warn" | "error", message: string) => void;
}
