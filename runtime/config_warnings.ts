/**
 * Settings that each pass on their own but together do not do what they
 * say: flora starts with them (they are not wrong, only ineffective) and
 * says so once at start, naming the settings to change.
 *
 * @module
 */

import { cpuListText } from "./sandbox/cpu_affinity.ts";
import { CONFIG_DEFAULTS, type FloraConfig } from "./config_schema.ts";

/**
 * What a start should warn of in `config`, one sentence each (none: nothing).
 *
 * @example
 * ```ts
 * import { loadConfig } from "./config.ts";
 * configWarnings(loadConfig({})); // []
 * configWarnings(loadConfig({ FLORA_SANDBOX_MEMORY_MB: "1024" })).length; // 1: 1536 is not below
 * ```
 */
export function configWarnings(config: FloraConfig): string[] {
  const warnings: string[] = [];
  const ceiling = config.sandboxRssCeilingMb ?? CONFIG_DEFAULTS.sandboxRssCeilingMb;
  const guard = config.sandboxMemoryMb ?? CONFIG_DEFAULTS.sandboxMemoryMb;
  // The guard stops a process's largest workers (at last the process) at its RSS limit: a
  // ceiling at or past it is never reached, so no process is ever recycled.
  if (ceiling > 0 && ceiling >= guard) {
    warnings.push(
      `FLORA_SANDBOX_RSS_CEILING_MB (${ceiling} MiB) is not below FLORA_SANDBOX_MEMORY_MB ` +
        `(${guard} MiB): the memory guard stops a sandbox process's workers before the process ` +
        "can be recycled, so none ever is; set the ceiling below the guard, or to 0 to turn " +
        "recycling off",
    );
  }
  const cpus = config.sandboxCpus;
  if (cpus && cpus.host.length === 0) {
    warnings.push(
      `FLORA_SANDBOX_CPUS names every CPU flora may use (${cpuListText(cpus.sandboxes)}): the ` +
        "sandboxes are confined to them and the host shares them; leave at least one out for " +
        "the host",
    );
  }
  return warnings;
}
