/**
 * Output a test expects — the crash reports of processes it kills on purpose
 * (V8's out-of-memory C stack), notices about a server it stops — kept aside
 * and printed only when the test fails, so a green run reads as one.
 *
 * @module
 */

/** A buffer of expected output, shown with a failure. */
export class CapturedOutput {
  #chunks: string[] = [];

  /** Appends text as it came (a sink for a process's stderr). */
  readonly write = (text: string): void => {
    this.#chunks.push(text);
  };

  /** Appends one line (a sink for notices). */
  readonly line = (text: string): void => {
    this.#chunks.push(text.endsWith("\n") ? text : `${text}\n`);
  };

  /** Everything captured so far. */
  text(): string {
    return this.#chunks.join("");
  }

  /**
   * Runs `fn`; if it throws, prints what was captured (so the failure keeps its context),
   * then rethrows.
   *
   * @example
   * ```ts
   * await output.printOnFailure("memory bomb", async () => { … });
   * ```
   */
  async printOnFailure<T>(label: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      console.error(
        `----- output captured up to the failure of "${label}" -----\n${this.text()}` +
          "----- end of captured output -----",
      );
      throw error;
    }
  }

  /** `t.step`, printing what was captured if the step fails. */
  step(t: Deno.TestContext, name: string, fn: () => Promise<void>): Promise<boolean> {
    return t.step(name, () => this.printOnFailure(name, fn));
  }
}
