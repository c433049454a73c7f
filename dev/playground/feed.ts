/**
 * The playground's live feed: turns what happens in the dev session (the
 * bot's REST calls in the emulator, log lines, deploys) into small events
 * the page subscribes to over SSE. Events say *what changed*; the page
 * refetches the state it shows, so a missed event never leaves it wrong.
 *
 * @module
 */

import type { ActionLog } from "../../emulator/actions.ts";
import type { EmulatorState } from "../../emulator/state.ts";
import { modalOf, type ModalView } from "../../emulator/modals.ts";
import type { LogLine } from "../../runtime/host/logs.ts";
import type { DeployResult } from "../session.ts";

/** One event of the feed, as the page receives it. */
export type FeedEvent =
  | { type: "messages"; channelId?: string }
  | { type: "commands" }
  | { type: "log"; line: LogLine }
  | { type: "deploy"; result: DeployResult }
  | { type: "modal"; interactionId: string; userId: string; channelId: string; modal: ModalView };

/** Fan-out of feed events to every open page. */
export class FeedHub {
  #listeners = new Set<(event: FeedEvent) => void>();
  #stopActions: (() => void) | null = null;

  /** Subscribes; returns the unsubscribe function. */
  subscribe(listener: (event: FeedEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  publish(event: FeedEvent): void {
    for (const listener of this.#listeners) listener(event);
  }

  /**
   * Follows the emulator's log of the bot's REST calls: each becomes a
   * `messages`, `commands` or `modal` event.
   */
  followActions(actions: ActionLog, state: EmulatorState): void {
    let since = actions.lastSeq;
    let stopped = false;
    this.#stopActions = () => stopped = true;
    (async () => {
      while (!stopped) {
        await actions.wait(since, 1_000);
        for (const action of actions.list({ since })) {
          since = action.seq;
          if (action.path.includes("/commands")) {
            this.publish({ type: "commands" });
            continue;
          }
          const record = action.interactionId
            ? state.interactions.get(action.interactionId)
            : undefined;
          const modal = record ? modalOf(record) : null;
          if (record && modal && action.route.endsWith("/callback")) {
            this.publish({
              type: "modal",
              interactionId: record.interaction.id,
              userId: record.interaction.member?.user?.id ?? "",
              channelId: record.interaction.channel_id ?? "",
              modal,
            });
            continue;
          }
          this.publish({
            type: "messages",
            channelId: action.channelId ?? record?.interaction.channel_id,
          });
        }
      }
    })();
  }

  close(): void {
    this.#stopActions?.();
    this.#listeners.clear();
  }
}
