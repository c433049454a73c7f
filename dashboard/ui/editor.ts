/**
 * The editor screen: the project's files, CodeMirror with TypeScript
 * services, and deploy (Ctrl/Cmd+S) with the same checks as `flora deploy`
 * — type errors, then bundle errors, each at file:line, and nothing is
 * deployed while any remain.
 *
 * @module
 */

import { closeBrackets, completionKeymap } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { javascript } from "@codemirror/lang-javascript";
import {
  bracketMatching,
  defaultHighlightStyle,
  indentOnInput,
  syntaxHighlighting,
} from "@codemirror/language";
import { lintKeymap } from "@codemirror/lint";
import { highlightSelectionMatches, searchKeymap } from "@codemirror/search";
import { EditorState } from "@codemirror/state";
import {
  drawSelection,
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  keymap,
  lineNumbers,
} from "@codemirror/view";
import { errorMessage } from "../../shared/error_message.ts";
import { api } from "./api.ts";
import type { BundleRequest, BundleResult } from "./bundle_protocol.ts";
import { announce, fill, h } from "./dom.ts";
import { type TypeScriptClient, typescriptSupport } from "./language.ts";
import {
  checkFileName,
  clearDraft,
  loadDraft,
  type ProjectState,
  saveDraft,
  starterProject,
} from "./project.ts";
import type { TsDiagnostic } from "./ts_protocol.ts";

/** Where the editor's helpers are served. */
export interface EditorAssets {
  bundlerWorker: string;
  esbuildWasm: string;
  /** The starter bot for a guild with nothing deployed. */
  starter: string;
}

/** A problem at a place in a file (type or bundle error). */
interface Problem {
  path: string;
  line: number;
  column: number;
  message: string;
}

let bundler: Worker | null = null;

const ms = (n: number) => `${Math.round(n)} ms`;
let bundleSeq = 1;

function bundlerWorker(assets: EditorAssets): Worker {
  if (!bundler) {
    bundler = new Worker(assets.bundlerWorker, { type: "module" });
    bundler.postMessage({ type: "warm", wasmUrl: assets.esbuildWasm });
  }
  return bundler;
}

function bundle(assets: EditorAssets, entry: string, files: Record<string, string>) {
  const worker = bundlerWorker(assets);
  const id = bundleSeq++;
  return new Promise<BundleResult>((resolve) => {
    const onMessage = (event: MessageEvent<{ id: number; result: BundleResult }>) => {
      if (event.data.id !== id) return;
      worker.removeEventListener("message", onMessage);
      resolve(event.data.result);
    };
    worker.addEventListener("message", onMessage);
    const request: BundleRequest & { id: number } = {
      id,
      entry,
      files,
      wasmUrl: assets.esbuildWasm,
    };
    worker.postMessage(request);
  });
}

/** Opens a guild's project: its draft, else its live revision's files, else the starter. */
async function openProject(
  guildId: string,
  assets: EditorAssets,
): Promise<{ project: ProjectState; draft: boolean }> {
  const draft = loadDraft(guildId);
  if (draft) return { project: draft, draft: true };
  try {
    const current = await api<{ deployment: { revision: number } }>(
      "GET",
      `/deployments/${guildId}/current`,
    );
    const rev = current.deployment.revision;
    const sources = await api<{ entry: string; files: { path: string; content: string }[] }>(
      "GET",
      `/deployments/${guildId}/revisions/${rev}/sources`,
    );
    if (sources.files.length > 0) {
      const files = Object.fromEntries(sources.files.map((f) => [f.path, f.content]));
      const entry = sources.entry in files ? sources.entry : sources.files[0].path;
      return { project: { entry, files, baseRevision: rev }, draft: false };
    }
  } catch { /* nothing deployed yet */ }
  return { project: await starterProject(assets.starter), draft: false };
}

/** Renders the editor for a guild into `root`; returns a function that jumps to file:line. */
export async function renderEditor(
  root: HTMLElement,
  guildId: string,
  ts: TypeScriptClient,
  assets: EditorAssets,
  onDeployed: () => void,
): Promise<(path: string, line: number) => void> {
  const opened = await openProject(guildId, assets);
  const project = opened.project;
  let current = project.files[project.entry] !== undefined
    ? project.entry
    : Object.keys(project.files)[0];
  const states = new Map<string, EditorState>();

  const fileList = h("ul", { class: "files", "aria-label": "Project files" });
  const problems = h("ol", { class: "problems", "aria-label": "Problems", "aria-live": "polite" });
  const draftNote = h("span", { class: "draft-note", "aria-live": "polite" });
  const deployButton = h("button", {
    type: "button",
    class: "primary",
    title: "Deploy (Ctrl+S / Cmd+S)",
    onclick: () => void deploy(),
  }, "Deploy");
  const host = h("div", { class: "editor-host", "data-testid": "editor" });

  const files = () => ({ ...project.files, [current]: view.state.doc.toString() });
  const persist = () => {
    project.files[current] = view.state.doc.toString();
    saveDraft(guildId, project);
    draftNote.textContent = "Draft saved in this browser (not deployed)";
  };

  const showProblems = (list: Problem[], heading?: string) => {
    fill(
      problems,
      list.map((p) =>
        h(
          "li",
          {},
          h("button", {
            type: "button",
            class: "link",
            onclick: () => goTo(p.path, p.line),
          }, `${p.path}:${p.line}:${p.column}`),
          ` ${p.message}`,
        )
      ),
    );
    if (heading) announce(heading, list.length ? "error" : "info");
  };

  const stateFor = (path: string) => {
    let state = states.get(path);
    if (!state) {
      state = EditorState.create({ doc: project.files[path] ?? "", extensions });
      states.set(path, state);
    }
    return state;
  };

  const open = (path: string) => {
    states.set(current, view.state);
    project.files[current] = view.state.doc.toString();
    current = path;
    view.setState(stateFor(path));
    renderFiles();
  };

  const goTo = (path: string, line: number) => {
    if (!(path in project.files)) return;
    if (path !== current) open(path);
    const target = view.state.doc.line(Math.max(1, Math.min(line, view.state.doc.lines)));
    view.dispatch({ selection: { anchor: target.from }, scrollIntoView: true });
    view.focus();
  };

  const renderFiles = () => {
    fill(
      fileList,
      Object.keys(project.files).sort().map((path) =>
        h(
          "li",
          {},
          h("button", {
            type: "button",
            class: path === current ? "file current" : "file",
            "aria-current": path === current ? "true" : undefined,
            onclick: () => open(path),
          }, path + (path === project.entry ? " (entry)" : "")),
        )
      ),
    );
  };

  const onDiagnostics = (list: TsDiagnostic[]) => {
    showProblems(list.filter((d) => d.severity === "error"));
  };

  const extensions = [
    lineNumbers(),
    highlightActiveLineGutter(),
    history(),
    drawSelection(),
    indentOnInput(),
    syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
    bracketMatching(),
    closeBrackets(),
    highlightActiveLine(),
    highlightSelectionMatches(),
    javascript({ typescript: true }),
    keymap.of([
      { key: "Mod-s", preventDefault: true, run: () => (void deploy(), true) },
      ...defaultKeymap,
      ...historyKeymap,
      ...searchKeymap,
      ...completionKeymap,
      ...lintKeymap,
    ]),
    EditorView.updateListener.of((u) => {
      if (u.docChanged) persist();
    }),
    EditorView.contentAttributes.of({ "aria-label": "Code editor" }),
    typescriptSupport({ client: ts, files, path: () => current, onDiagnostics }),
  ];

  const view = new EditorView({ state: stateFor(current), parent: host });

  const newFile = () => {
    const name = prompt("New file name (e.g. lib/util.ts)");
    if (name === null) return;
    const error = checkFileName(name.trim(), project.files);
    if (error) return announce(error, "error");
    project.files[name.trim()] = "";
    saveDraft(guildId, project);
    open(name.trim());
  };
  const renameFile = () => {
    const name = prompt(`Rename ${current} to`, current);
    if (name === null || name.trim() === current) return;
    const error = checkFileName(name.trim(), project.files);
    if (error) return announce(error, "error");
    project.files[name.trim()] = view.state.doc.toString();
    delete project.files[current];
    states.delete(current);
    if (project.entry === current) project.entry = name.trim();
    current = name.trim();
    states.set(current, view.state);
    saveDraft(guildId, project);
    renderFiles();
  };
  const deleteFile = () => {
    if (current === project.entry) return announce("the entry file cannot be deleted", "error");
    if (!confirm(`Delete ${current}? This cannot be undone.`)) return;
    const gone = current;
    current = project.entry;
    delete project.files[gone];
    states.delete(gone);
    view.setState(stateFor(current));
    saveDraft(guildId, project);
    renderFiles();
  };
  const format = async () => {
    const text = await ts.ask<string>(files(), { type: "format", path: current });
    view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
  };

  let deploying = false;
  async function deploy() {
    if (deploying) return;
    deploying = true;
    deployButton.disabled = true;
    const started = performance.now();
    try {
      project.files[current] = view.state.doc.toString();
      announce("Checking types…");
      const diagnostics = await ts.ask<TsDiagnostic[]>(files(), {
        type: "diagnostics",
        paths: Object.keys(project.files).filter((p) => p.endsWith(".ts")),
      });
      const errors = diagnostics.filter((d) => d.severity === "error");
      if (errors.length > 0) {
        showProblems(
          errors,
          `Not deployed: ${errors.length} type error(s), e.g. ${errors[0].path}:${errors[0].line}`,
        );
        return;
      }
      const checkedAt = performance.now();
      announce("Bundling…");
      const built = await bundle(assets, project.entry, { ...project.files });
      if (!built.ok) {
        const first = built.errors[0];
        showProblems(built.errors, `Not deployed: bundle error at ${first.path}:${first.line}`);
        return;
      }
      const bundledAt = performance.now();
      announce("Deploying…");
      const result = await api<
        { deployment: { revision: number; status: string; error?: string } }
      >(
        "POST",
        `/deployments/${guildId}`,
        { entry: project.entry, code: built.code, sourceMap: built.sourceMap },
      );
      const d = result.deployment;
      if (d.status !== "active") {
        showProblems(
          [],
          `Revision ${d.revision} failed to load; the previous version keeps running: ${
            d.error ?? ""
          }`,
        );
        return;
      }
      project.baseRevision = d.revision;
      clearDraft(guildId);
      draftNote.textContent = `Revision ${d.revision} is live`;
      showProblems(
        [],
        `Revision ${d.revision} is live (${ms(performance.now() - started)}: types ${
          ms(checkedAt - started)
        }, bundle ${ms(bundledAt - checkedAt)}, deploy ${ms(performance.now() - bundledAt)})`,
      );
      onDeployed();
    } catch (error) {
      announce(`Not deployed: ${errorMessage(error)}`, "error");
    } finally {
      deploying = false;
      deployButton.disabled = false;
    }
  }

  fill(
    root,
    h(
      "div",
      { class: "editor-layout" },
      h(
        "aside",
        { class: "file-pane" },
        h("h3", {}, "Files"),
        fileList,
        h(
          "div",
          { class: "row" },
          h("button", { type: "button", onclick: newFile }, "New file"),
          h("button", { type: "button", onclick: renameFile }, "Rename"),
          h("button", { type: "button", onclick: deleteFile }, "Delete"),
        ),
      ),
      h(
        "section",
        { class: "code-pane", "aria-label": "Editor" },
        h(
          "div",
          { class: "toolbar" },
          deployButton,
          h("button", { type: "button", onclick: () => void format() }, "Format"),
          draftNote,
        ),
        host,
        h("h3", {}, "Problems"),
        problems,
      ),
    ),
  );
  if (opened.draft) draftNote.textContent = "Unsaved draft restored from this browser";
  // The bundler loads while the author reads and types, so the first deploy does not wait on it.
  setTimeout(() => bundlerWorker(assets), 0);
  renderFiles();
  return goTo;
}
