/** @jsxImportSource hono/jsx/dom */
/**
 * The side panes: the script's log (live) and its KV data.
 *
 * @module
 */

import type { KvStoreView, LogEntry } from "./types.ts";

/** The script's log, newest at the bottom. */
export function LogPane(props: { lines: LogEntry[] }) {
  return (
    <div class="pane-body logs" data-testid="logs">
      {props.lines.length === 0 ? <div class="empty">No log lines yet.</div> : null}
      {props.lines.map((line) => (
        <div class={`log ${line.level}`}>
          <span class="time">{new Date(line.at).toLocaleTimeString()}</span>{" "}
          <span class="level">{line.level}</span> {line.message}
        </div>
      ))}
    </div>
  );
}

/** The guild's KV stores and entries. */
export function KvPane(props: { stores: KvStoreView[] }) {
  return (
    <div class="pane-body kv" data-testid="kv">
      {props.stores.length === 0 ? <div class="empty">No KV data yet.</div> : null}
      {props.stores.map((store) => (
        <div class="kv-store">
          <div class="kv-store-name">{store.store}</div>
          {store.entries.map((entry) => (
            <div class="kv-entry">
              <span class="kv-key">{entry.key}</span>
              <code class="kv-value">{JSON.stringify(entry.value)}</code>
            </div>
          ))}
        </div>
      ))}
    </div>
  );
}
