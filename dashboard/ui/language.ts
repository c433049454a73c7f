/**
 * TypeScript in the editor: a client for the TypeScript worker and the
 * CodeMirror extensions built on it — completions, hover docs, signature
 * help while typing arguments, and type errors underlined as you type.
 *
 * @module
 */

import { autocompletion, type CompletionContext } from "@codemirror/autocomplete";
import { type Diagnostic, linter } from "@codemirror/lint";
import { type Extension, StateEffect, StateField } from "@codemirror/state";
import { EditorView, hoverTooltip, showTooltip, type Tooltip } from "@codemirror/view";
import { h } from "./dom.ts";
import type {
  TsCompletions,
  TsDiagnostic,
  TsQuickInfo,
  TsRequest,
  TsSignatureHelp,
} from "./ts_protocol.ts";

/** Talks to `ts_worker.js`, started on first use (or `start()`), so it never delays the page. */
export class TypeScriptClient {
  #worker: Worker | null = null;
  #next = 1;
  #pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  #ready: Promise<unknown> | null = null;

  constructor(readonly workerUrl: string, readonly typesUrl: string) {}

  /** Starts the worker and loads the SDK's declarations into it (once). */
  start(): Promise<unknown> {
    if (this.#ready) return this.#ready;
    const worker = new Worker(this.workerUrl, { type: "module" });
    this.#worker = worker;
    worker.onmessage = (event: MessageEvent<{ id: number; result?: unknown; error?: string }>) => {
      const waiting = this.#pending.get(event.data.id);
      this.#pending.delete(event.data.id);
      if (event.data.error !== undefined) waiting?.reject(new Error(event.data.error));
      else waiting?.resolve(event.data.result);
    };
    this.#ready = fetch(this.typesUrl).then((r) => r.json()).then((types) =>
      this.request({ type: "init", types })
    );
    return this.#ready;
  }

  request<T>(request: TsRequest): Promise<T> {
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#worker!.postMessage({ ...request, id });
    });
  }

  /** Sends the project's current files, then asks. */
  async ask<T>(files: Record<string, string>, request: TsRequest): Promise<T> {
    await this.start();
    await this.request({ type: "files", files });
    return await this.request<T>(request);
  }
}

/** What the extensions need to know about the editor around them. */
export interface LanguageContext {
  client: TypeScriptClient;
  /** The project's files with the open one's current text. */
  files(): Record<string, string>;
  /** The open file's path. */
  path(): string;
  /** Called with each new list of the open file's problems. */
  onDiagnostics?(diagnostics: TsDiagnostic[]): void;
}

const setSignature = StateEffect.define<Tooltip | null>();
const signatureField = StateField.define<Tooltip | null>({
  create: () => null,
  update(value, tr) {
    for (const e of tr.effects) if (e.is(setSignature)) return e.value;
    return value;
  },
  provide: (f) => showTooltip.from(f),
});

function signatureDom(help: TsSignatureHelp): HTMLElement {
  const params = help.params.flatMap((p, i) => [
    i > 0 ? help.separator : "",
    i === help.active ? h("strong", {}, p) : p,
  ]);
  return h(
    "div",
    { class: "cm-signature", role: "tooltip" },
    h("code", {}, help.prefix, ...params, help.suffix),
    help.doc ? h("div", { class: "doc" }, help.doc) : null,
  );
}

/** The TypeScript extensions for one editor. */
export function typescriptSupport(ctx: LanguageContext): Extension {
  const completions = async (c: CompletionContext) => {
    const word = c.matchBefore(/[\w$]*/);
    if (
      !c.explicit && word?.from === word?.to && !/[.]$/.test(c.state.sliceDoc(c.pos - 1, c.pos))
    ) {
      return null;
    }
    const result = await ctx.client.ask<TsCompletions | null>(ctx.files(), {
      type: "completions",
      path: ctx.path(),
      pos: c.pos,
    });
    if (!result) return null;
    const path = ctx.path();
    return {
      from: result.from,
      options: result.options.map((o) => ({
        label: o.label,
        type: o.type,
        boost: o.boost,
        info: async () => {
          const d = await ctx.client.request<{ detail: string; doc: string } | null>({
            type: "completionDetail",
            path,
            pos: c.pos,
            name: o.label,
          });
          return d
            ? h("div", { class: "cm-info" }, h("code", {}, d.detail), h("div", {}, d.doc))
            : null;
        },
      })),
      validFor: /^[\w$]*$/,
    };
  };

  const hover = hoverTooltip(async (_view, pos) => {
    const info = await ctx.client.ask<TsQuickInfo | null>(ctx.files(), {
      type: "quickInfo",
      path: ctx.path(),
      pos,
    });
    if (!info) return null;
    return {
      pos: info.from,
      end: info.to,
      above: true,
      create: () => ({
        dom: h(
          "div",
          { class: "cm-hover", role: "tooltip" },
          h("code", {}, info.signature),
          info.doc ? h("div", { class: "doc" }, info.doc) : null,
        ),
      }),
    };
  });

  const signatures = EditorView.updateListener.of((update) => {
    if (!update.docChanged && !update.selectionSet) return;
    const pos = update.state.selection.main.head;
    const before = update.state.sliceDoc(Math.max(0, pos - 1), pos);
    const open = update.state.field(signatureField, false);
    if (!/[(,]/.test(before) && !open) return;
    ctx.client.ask<TsSignatureHelp | null>(ctx.files(), {
      type: "signatureHelp",
      path: ctx.path(),
      pos,
    }).then((help) => {
      update.view.dispatch({
        effects: setSignature.of(
          help ? { pos, above: true, create: () => ({ dom: signatureDom(help) }) } : null,
        ),
      });
    }).catch(() => {});
  });

  const lint = linter(async (view) => {
    const list = await ctx.client.ask<TsDiagnostic[]>(ctx.files(), {
      type: "diagnostics",
      paths: [ctx.path()],
    });
    ctx.onDiagnostics?.(list);
    const length = view.state.doc.length;
    return list.map((d): Diagnostic => ({
      from: Math.min(d.from, length),
      to: Math.min(Math.max(d.to, d.from + 1), length),
      severity: d.severity,
      message: d.message,
      source: "TypeScript",
    }));
  }, { delay: 300 });

  return [
    autocompletion({ override: [completions], activateOnTyping: true }),
    hover,
    signatureField,
    signatures,
    lint,
  ];
}
