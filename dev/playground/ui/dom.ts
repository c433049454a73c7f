/**
 * The few browser types the page needs, declared here instead of through
 * `lib="dom"`: that lib would leak into the whole repository's type check
 * (`deno check .` is one program) and clash with Deno's own stream types.
 *
 * @module
 */

/** The value of the input, select or textarea an event came from. */
export function valueOf(event: Event): string {
  return (event.target as unknown as { value: string }).value;
}

/** An element the page scrolls to. */
export interface Scrollable {
  scrollIntoView(options?: { block?: "start" | "end" }): void;
}

/** The page's root element, if the document has one with this id. */
export function elementById(id: string): unknown {
  const doc = (globalThis as unknown as { document?: { getElementById(id: string): unknown } })
    .document;
  return doc?.getElementById(id) ?? null;
}
