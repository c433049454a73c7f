/**
 * How the bot answered an interaction, read from the emulator once the
 * answer is complete (a deferral counts once it was edited).
 *
 * @module
 */

import type { EmulatorClient, InteractionView } from "../emulator/mod.ts";
import type { ModalView } from "../emulator/modals.ts";
import type { ApiMessage } from "../emulator/types.ts";
import { ExpectationError, until } from "./expect.ts";

/** How the bot answered an interaction. */
export interface InteractionReply {
  interactionId: string;
  /** Discord's callback type: 4 message, 5 deferred, 6 deferred update, 7 update, 8 autocomplete, 9 modal. */
  type: number;
  /** The message the answer created or updated (after any deferral was edited), or null. */
  message: ApiMessage | null;
  /** The modal the bot opened (type 9), or null. */
  modal: ModalView | null;
  /** Follow-up messages sent so far. */
  followups: ApiMessage[];
  /** Autocomplete suggestions (type 8), else empty. */
  choices: { name: string; value: string | number }[];
}

/** Discord's LOADING message flag: a deferred answer's placeholder. */
const LOADING = 1 << 7;

/**
 * Waits until the interaction is answered (deferrals resolved) and
 * describes the answer; names the end of the script's log on timeout.
 *
 * @example
 * ```ts
 * const reply = await waitForAnswer(emulator, interactionId, 10_000, () => "");
 * reply.type; // 4
 * ```
 */
export async function waitForAnswer(
  emulator: EmulatorClient,
  interactionId: string,
  timeoutMs: number,
  logTail: () => string,
): Promise<InteractionReply> {
  const view = await until<InteractionView>(
    async () => {
      const v = await emulator.interaction(interactionId);
      if (v.responseType === null) return undefined;
      const loading = v.originalMessage && (v.originalMessage.flags & LOADING) !== 0;
      // A deferred message answer is done once its placeholder was edited.
      if (v.responseType === 5 && loading) return undefined;
      if (v.responseType === 6 && !v.responses.some((r) => r.kind === "edit")) {
        return undefined;
      }
      return v;
    },
    timeoutMs,
    () => {
      const log = logTail();
      return new ExpectationError(
        `the bot did not answer interaction ${interactionId} within ${timeoutMs} ms${
          log ? `; the log ends with:\n${log}` : ""
        }`,
      );
    },
  );
  const callback = view.responses.find((r) => r.kind === "callback");
  const body = callback?.body as
    | { data?: ModalView & { choices?: { name: string; value: string | number }[] } }
    | undefined;
  return {
    interactionId,
    type: view.responseType!,
    message: view.originalMessage,
    modal: view.responseType === 9 && body?.data ? body.data : null,
    followups: view.followups,
    choices: view.responseType === 8 ? body?.data?.choices ?? [] : [],
  };
}
