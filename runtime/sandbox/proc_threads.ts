/**
 * Reading one `/proc` file of each thread of a process (Linux only): what
 * the niceness and CPU placement checks are built on.
 *
 * @module
 */

/**
 * The text of `/proc/<pid>/task/<tid>/<file>` for each thread of process `pid`, the main
 * thread first; a thread that ends between the listing and its read is left out.
 *
 * @example
 * ```ts
 * for await (const status of threadFiles(Deno.pid, "status")) console.log(status.split("\n")[0]);
 * ```
 */
export async function* threadFiles(pid: number, file: string): AsyncGenerator<string> {
  for await (const task of Deno.readDir(`/proc/${pid}/task`)) {
    try {
      yield await Deno.readTextFile(`/proc/${pid}/task/${task.name}/${file}`);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue; // it ended since the listing
      throw error;
    }
  }
}
