/**
 * The host's metrics, rendered as Prometheus text (exposition format 0.0.4)
 * for `GET /metrics`. Counters and histograms are updated on hot paths, so
 * they are plain numbers in maps; rendering happens only when scraped.
 *
 * @module
 */

import { GuildUsage } from "./guild_usage.ts";

type Labels = Record<string, string>;

function labelText(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return "";
  const parts = entries.map(([k, v]) =>
    `${k}="${v.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n")}"`
  );
  return `{${parts.join(",")}}`;
}

/** A monotonically increasing count, optionally split by one label. */
export class Counter {
  #values = new Map<string, number>();

  constructor(readonly name: string, readonly help: string, readonly label?: string) {}

  /** Adds `n` (default 1) under the label value (when the counter has a label). */
  inc(labelValue = "", n = 1): void {
    this.#values.set(labelValue, (this.#values.get(labelValue) ?? 0) + n);
  }

  /** The current value for a label value (or the unlabelled value). */
  get(labelValue = ""): number {
    return this.#values.get(labelValue) ?? 0;
  }

  /** Sum over every label value. */
  total(): number {
    let sum = 0;
    for (const v of this.#values.values()) sum += v;
    return sum;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    if (this.#values.size === 0 && !this.label) lines.push(`${this.name} 0`);
    for (const [value, n] of this.#values) {
      const labels = this.label ? labelText({ [this.label]: value }) : "";
      lines.push(`${this.name}${labels} ${n}`);
    }
    return lines.join("\n");
  }
}

/** A value read when scraped. */
export class Gauge {
  constructor(readonly name: string, readonly help: string, readonly read: () => number) {}

  render(): string {
    return [
      `# HELP ${this.name} ${this.help}`,
      `# TYPE ${this.name} gauge`,
      `${this.name} ${this.read()}`,
    ].join("\n");
  }
}

/** Default latency buckets, in seconds: 50 µs … 10 s. */
export const LATENCY_BUCKETS = [
  0.00005,
  0.0001,
  0.00025,
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  10,
];

/** A distribution of observations (seconds), in cumulative buckets. */
export class Histogram {
  #counts: number[];
  #sum = 0;
  #count = 0;
  /** Also receives every observation (the benchmark takes exact percentiles from it). */
  onObserve?: (seconds: number) => void;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[] = LATENCY_BUCKETS,
  ) {
    this.#counts = new Array(buckets.length).fill(0);
  }

  /** Records one observation, in seconds. */
  observe(seconds: number): void {
    this.onObserve?.(seconds);
    this.#sum += seconds;
    this.#count++;
    for (let i = 0; i < this.buckets.length; i++) {
      if (seconds <= this.buckets[i]) {
        this.#counts[i]++;
        return;
      }
    }
  }

  get count(): number {
    return this.#count;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    let cumulative = 0;
    this.buckets.forEach((le, i) => {
      cumulative += this.#counts[i];
      lines.push(`${this.name}_bucket{le="${le}"} ${cumulative}`);
    });
    lines.push(`${this.name}_bucket{le="+Inf"} ${this.#count}`);
    lines.push(`${this.name}_sum ${this.#sum}`, `${this.name}_count ${this.#count}`);
    return lines.join("\n");
  }
}

/**
 * Everything flora reports. Gauges read live state through the callbacks
 * given by {@linkcode FloraMetrics.gauge}.
 *
 * @example
 * ```ts
 * const metrics = new FloraMetrics();
 * metrics.eventsIn.inc("messageCreate");
 * const text = metrics.render(); // "# HELP flora_events_in_total …"
 * ```
 */
export class FloraMetrics {
  readonly eventsIn = new Counter(
    "flora_events_in_total",
    "Gateway events routed to a guild with a deployment, by event type.",
    "type",
  );
  readonly eventsDropped = new Counter(
    "flora_events_dropped_total",
    "Events dropped because their guild's backlog was full, by event type.",
    "type",
  );
  readonly dispatchLatency = new Histogram(
    "flora_dispatch_latency_seconds",
    "Time from an event reaching the host to its handler starting in the worker.",
  );
  readonly coldStartLatency = new Histogram(
    "flora_cold_start_seconds",
    "Time from a worker being needed to its script having loaded.",
  );
  readonly coldStarts = new Counter(
    "flora_cold_starts_total",
    "Workers started because an event, cron job or deploy needed them.",
  );
  readonly evictions = new Counter(
    "flora_workers_evicted_total",
    "Resident workers stopped to save memory, by reason (idle, lru, elsewhere: a cluster node " +
      "that does not run the guild's events).",
    "reason",
  );
  readonly processRecycles = new Counter(
    "flora_sandbox_recycles_total",
    "Sandbox processes replaced because their RSS passed FLORA_SANDBOX_RSS_CEILING_MB.",
  );
  readonly timeouts = new Counter(
    "flora_handler_timeouts_total",
    "Workers stopped by the watchdog for running past their budget.",
  );
  readonly crashes = new Counter(
    "flora_worker_crashes_total",
    "Workers that died (uncaught error, or their sandbox process died).",
  );
  readonly restCalls = new Counter(
    "flora_rest_calls_total",
    "Discord operations executed for scripts, by operation.",
    "op",
  );
  readonly restRateLimited = new Counter(
    "flora_rest_429_total",
    "Discord REST responses with status 429 (rate limited).",
  );
  readonly interactionsDeferred = new Counter(
    "flora_interactions_deferred_total",
    "Interactions the host acknowledged itself because the script was not answering in time.",
  );
  readonly interactionsFailed = new Counter(
    "flora_interactions_failed_total",
    "Interactions answered with an ephemeral error because the guild could not run them.",
  );
  readonly cpuBursts = new Counter(
    "flora_cpu_bursts_total",
    "CPU bursts scripts asked for (requestCpuBurst), by outcome (granted, refused).",
    "outcome",
  );
  readonly cpuBurstMs = new Counter(
    "flora_cpu_burst_ms_total",
    "Milliseconds of handler budget granted as CPU bursts.",
  );
  readonly effectSteps = new Counter(
    "flora_effect_steps_total",
    "Cluster runtime nodes: mutating calls of bus events in the effect journal, by outcome " +
      "(recorded; replayed: answered from an earlier run's record; diverged: a re-run asked " +
      "for another operation than was recorded, and ran on unjournaled).",
    "outcome",
  );
  readonly effectsFenced = new Counter(
    "flora_effects_fenced_total",
    "Cluster runtime nodes: mutating calls refused because this node's lease on the " +
      "partition had lapsed: bus events' script calls and the host's interaction answers " +
      "(the event runs on the partition's next owner), cron and task runs' calls; by operation.",
    "op",
  );
  readonly busEvents = new Counter(
    "flora_bus_events_total",
    "Cluster runtime nodes: events taken from the bus, by outcome (handled, duplicate: run " +
      "before by another node; fenced: left to the next owner; withdrawn: given back unstarted " +
      "when the partition moved; failed; redelivered).",
    "outcome",
  );
  /** The same events counted per guild, hour by hour (`GET /guilds/:guild/usage`). */
  readonly usage = new GuildUsage();
  #gauges: Gauge[] = [];

  /** Adds a gauge read at scrape time. */
  gauge(name: string, help: string, read: () => number): void {
    this.#gauges.push(new Gauge(name, help, read));
  }

  /** The Prometheus text exposition of every metric. */
  render(): string {
    const parts = [
      this.eventsIn,
      this.eventsDropped,
      this.dispatchLatency,
      this.coldStarts,
      this.coldStartLatency,
      this.evictions,
      this.timeouts,
      this.crashes,
      this.restCalls,
      this.restRateLimited,
      this.interactionsDeferred,
      this.interactionsFailed,
      this.cpuBursts,
      this.cpuBurstMs,
      this.busEvents,
      this.effectSteps,
      this.effectsFenced,
      ...this.#gauges,
    ].map((m) => m.render());
    return parts.join("\n") + "\n";
  }
}

/** Content type of the Prometheus text format. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
