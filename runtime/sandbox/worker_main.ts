/**
 * The code every guild worker starts with: it installs the SDK globals,
 * then evaluates the guild's bundled script when the host sends `load`, and
 * runs handlers for the events the host sends. Bundled once per host start
 * into plain JavaScript, so a worker start does no TypeScript work.
 *
 * @module
 */

import { dispatch, registeredCommands } from "../../sdk/bot.ts";
import { log, send, settle } from "../../sdk/bridge.ts";
import { installGlobals } from "../../sdk/globals.ts";
import { formatError } from "../../sdk/errors.ts";
import { type HostToWorker, type LoadMessage, PROTOCOL_VERSION } from "./protocol.ts";

installGlobals(globalThis);

// A rejected promise nobody awaited is the script's bug: log it, keep the worker.
globalThis.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  log("error", `Unhandled promise rejection: ${formatError(event.reason)}`);
});
globalThis.addEventListener("error", (event) => {
  event.preventDefault();
  log("error", `Uncaught error: ${formatError(event.error ?? event.message)}`);
});

let loaded = false;

async function load(message: LoadMessage): Promise<void> {
  if (loaded) return;
  loaded = true;
  const code = `${message.code}\n//# sourceURL=${message.entry}`;
  const url = URL.createObjectURL(new Blob([code], { type: "application/javascript" }));
  try {
    await import(url);
    send({ v: PROTOCOL_VERSION, type: "loaded", commands: registeredCommands() });
  } catch (error) {
    send({ v: PROTOCOL_VERSION, type: "loadFailed", error: formatError(error) });
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** The part of a dedicated worker's global scope this module uses. */
interface WorkerScope {
  onmessage: ((event: MessageEvent<HostToWorker>) => void) | null;
}

(globalThis as unknown as WorkerScope).onmessage = async (event) => {
  const message = event.data;
  if (message?.v !== PROTOCOL_VERSION) return;
  switch (message.type) {
    case "load":
      await load(message);
      return;
    case "result":
      settle(message);
      return;
    case "event": {
      let error: string | undefined;
      try {
        await dispatch(message.name, message.payload);
      } catch (thrown) {
        error = formatError(thrown);
        log("error", `Error in ${message.name} handler: ${error}`);
      }
      send({ v: PROTOCOL_VERSION, type: "done", id: message.id, ...(error ? { error } : {}) });
      return;
    }
  }
};
