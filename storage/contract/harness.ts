/**
 * Runs one contract (a list of named cases) against a backend as steps of a
 * single Deno test, with a fresh fixture per case so cases cannot interfere.
 *
 * @module
 */

/** A store under test plus how to release it (close KV, end clients, drop schema). */
export interface Fixture<T> {
  store: T;
  close(): Promise<void> | void;
}

/** Makes a fresh, empty store for one case. */
export type Factory<T, O = undefined> = (options?: O) => Promise<Fixture<T>>;

/** One behaviour every backend must have. */
export interface ContractCase<T, O = undefined> {
  name: string;
  /** Options the case needs from the factory (e.g. a small quota). */
  options?: O;
  run(store: T): Promise<void>;
}

/** How a backend runs a contract. */
export interface ContractOptions {
  /** Skip the whole suite (e.g. its server is unreachable); say why in `name`. */
  ignore?: boolean;
  /**
   * Wraps the whole suite, for resources shared by its cases (e.g. one migrated
   * database schema that each fixture empties); must call `run` once.
   */
  around?: (run: () => Promise<void>) => Promise<void>;
}

/** Registers `cases` as steps of one Deno test named `name`. */
export function registerContract<T, O>(
  name: string,
  factory: Factory<T, O>,
  cases: ContractCase<T, O>[],
  options: ContractOptions = {},
): void {
  Deno.test({
    name,
    ignore: options.ignore ?? false,
    async fn(t) {
      const runCases = async () => {
        for (const contractCase of cases) {
          await t.step(contractCase.name, async () => {
            const fixture = await factory(contractCase.options);
            try {
              await contractCase.run(fixture.store);
            } finally {
              await fixture.close();
            }
          });
        }
      };
      await (options.around ? options.around(runCases) : runCases());
    },
  });
}

/** Waits until the wall clock is past `epochMs` (for TTL cases; asserts nothing about time). */
export async function waitUntilPast(epochMs: number): Promise<void> {
  while (Date.now() <= epochMs) {
    await new Promise((resolve) => setTimeout(resolve, Math.max(1, epochMs - Date.now() + 1)));
  }
}
