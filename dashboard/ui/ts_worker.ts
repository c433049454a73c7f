/**
 * The editor's TypeScript services, in a Web Worker so typing never waits on
 * the checker: completions, hover, signature help, diagnostics and
 * formatting for the project's files, against the SDK's declarations and
 * TypeScript's own libraries (served by flora as `types.json`, built from
 * npm). Requests and answers are {@linkcode TsRequest} / `{ id, result }`.
 *
 * @module
 */

import ts from "typescript";
import type { TsRequest } from "./ts_protocol.ts";

const PROJECT = "/project/";
const files = new Map<string, { text: string; version: number }>();
let projectFiles: string[] = [];

const options: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  allowImportingTsExtensions: true,
  noEmit: true,
  strict: true,
  skipLibCheck: true,
  lib: ["lib.esnext.d.ts", "lib.webworker.d.ts"],
  types: [],
};

const host: ts.LanguageServiceHost = {
  getCompilationSettings: () => options,
  getScriptFileNames: () => ["/sdk/globals.d.ts", ...projectFiles],
  getScriptVersion: (name) => String(files.get(name)?.version ?? 0),
  getScriptSnapshot: (name) => {
    const file = files.get(name);
    return file ? ts.ScriptSnapshot.fromString(file.text) : undefined;
  },
  getCurrentDirectory: () => PROJECT,
  getDefaultLibFileName: () => "/lib/lib.esnext.d.ts",
  fileExists: (name) => files.has(name),
  readFile: (name) => files.get(name)?.text,
  directoryExists: (name) => [...files.keys()].some((f) => f.startsWith(name.replace(/\/?$/, "/"))),
  getDirectories: () => [],
};
const service = ts.createLanguageService(host, ts.createDocumentRegistry());

function put(name: string, text: string): void {
  const old = files.get(name);
  if (old?.text === text) return;
  files.set(name, { text, version: (old?.version ?? 0) + 1 });
}

function flatten(parts: readonly ts.SymbolDisplayPart[] | undefined): string {
  return (parts ?? []).map((p) => p.text).join("");
}

function documentation(
  docs: readonly ts.SymbolDisplayPart[] | undefined,
  tags: readonly ts.JSDocTagInfo[] | undefined,
): string {
  const tagText = (tags ?? []).filter((t) => t.name !== "example").map((t) =>
    `@${t.name} ${flatten(t.text)}`
  );
  return [flatten(docs), ...tagText].filter(Boolean).join("\n");
}

function diagnostics(path: string) {
  const name = PROJECT + path;
  if (!files.has(name)) return [];
  const all = [...service.getSyntacticDiagnostics(name), ...service.getSemanticDiagnostics(name)];
  return all.map((d) => {
    const start = d.start ?? 0;
    const { line, character } = d.file
      ? d.file.getLineAndCharacterOfPosition(start)
      : { line: 0, character: 0 };
    return {
      path,
      from: start,
      to: start + (d.length ?? 0),
      line: line + 1,
      column: character + 1,
      severity: d.category === ts.DiagnosticCategory.Error ? "error" : "warning",
      message: ts.flattenDiagnosticMessageText(d.messageText, "\n"),
    };
  });
}

function answer(request: TsRequest): unknown {
  switch (request.type) {
    case "init":
      for (const [name, text] of Object.entries(request.types)) put(name, text);
      return true;
    case "files": {
      const names = new Set(Object.keys(request.files).map((p) => PROJECT + p));
      for (const name of projectFiles) if (!names.has(name)) files.delete(name);
      for (const [path, text] of Object.entries(request.files)) put(PROJECT + path, text);
      projectFiles = [...names];
      return true;
    }
    case "diagnostics":
      return request.paths.flatMap(diagnostics);
    case "completions": {
      const info = service.getCompletionsAtPosition(PROJECT + request.path, request.pos, {
        includeCompletionsWithInsertText: true,
      });
      if (!info) return null;
      const word = /[\w$]*$/.exec(files.get(PROJECT + request.path)!.text.slice(0, request.pos))!;
      return {
        from: request.pos - word[0].length,
        options: info.entries.slice(0, 400).map((e) => ({
          label: e.name,
          type: e.kind === "method" || e.kind === "function"
            ? "function"
            : e.kind === "property"
            ? "property"
            : e.kind === "keyword"
            ? "keyword"
            : e.kind === "const" || e.kind === "let" || e.kind === "var"
            ? "variable"
            : e.kind,
          boost: e.sortText < "12" ? 1 : 0,
        })),
      };
    }
    case "completionDetail": {
      const d = service.getCompletionEntryDetails(
        PROJECT + request.path,
        request.pos,
        request.name,
        undefined,
        undefined,
        undefined,
        undefined,
      );
      return d
        ? { detail: flatten(d.displayParts), doc: documentation(d.documentation, d.tags) }
        : null;
    }
    case "quickInfo": {
      const q = service.getQuickInfoAtPosition(PROJECT + request.path, request.pos);
      if (!q) return null;
      return {
        from: q.textSpan.start,
        to: q.textSpan.start + q.textSpan.length,
        signature: flatten(q.displayParts),
        doc: documentation(q.documentation, q.tags),
      };
    }
    case "signatureHelp": {
      const help = service.getSignatureHelpItems(PROJECT + request.path, request.pos, undefined);
      if (!help) return null;
      const item = help.items[help.selectedItemIndex];
      const params = item.parameters.map((p) => flatten(p.displayParts));
      return {
        prefix: flatten(item.prefixDisplayParts),
        params,
        separator: flatten(item.separatorDisplayParts),
        suffix: flatten(item.suffixDisplayParts),
        active: help.argumentIndex,
        doc: documentation(item.documentation, item.tags),
      };
    }
    case "format": {
      const name = PROJECT + request.path;
      const edits = service.getFormattingEditsForDocument(name, {
        ...ts.getDefaultFormatCodeSettings("\n"),
        indentSize: 2,
        tabSize: 2,
        convertTabsToSpaces: true,
        semicolons: ts.SemicolonPreference.Insert,
      });
      let text = files.get(name)?.text ?? "";
      for (const e of [...edits].sort((a, b) => b.span.start - a.span.start)) {
        text = text.slice(0, e.span.start) + e.newText + text.slice(e.span.start + e.span.length);
      }
      return text;
    }
  }
}

self.onmessage = (event: MessageEvent<TsRequest & { id: number }>) => {
  const { id } = event.data;
  try {
    self.postMessage({ id, result: answer(event.data) });
  } catch (error) {
    self.postMessage({ id, error: String(error) });
  }
};
