/**
 * `requestCpuBurst(ms)`: the running handler asks for `ms` more budget from
 * its guild's burst bucket. Part of `OperationArgsMap`; parsed in
 * `parse/operation_args.ts`. On success the host also tells the sandbox
 * process (`extendBudget`) before it answers, so the longer budget is in
 * force when the script goes on.
 *
 * @module
 */

export interface CpuOperationArgsMap {
  /** Result: the milliseconds granted. */
  "cpu.burst": { ms: number };
}

export const CPU_OPERATION_NAMES = [
  "cpu.burst",
] as const satisfies readonly (keyof CpuOperationArgsMap)[];
