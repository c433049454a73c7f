/**
 * The OpenAPI 3.1 document, generated from the route definitions (their zod
 * schemas become JSON Schemas), and a small self-contained reference page
 * that renders it (no CDN: it works offline and under a strict CSP).
 *
 * @module
 */

import { z } from "zod";
import type { RouteSpec } from "./routing.ts";

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const out = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<
    string,
    unknown
  >;
  delete out.$schema;
  return out;
}

function parameters(schema: z.ZodObject | undefined, where: "path" | "query") {
  if (!schema) return [];
  return Object.entries(schema.shape).map(([name, field]) => {
    const s = jsonSchema(field as z.ZodType);
    return {
      name,
      in: where,
      required: where === "path" || !(field as z.ZodType).safeParse(undefined).success,
      ...(typeof s.description === "string" ? { description: s.description } : {}),
      schema: s,
    };
  });
}

/**
 * The statuses the router itself may answer for a route, before or around its
 * handler (a `500` is a bug, so it is not listed).
 */
export function routerStatuses(spec: RouteSpec): Record<number, string> {
  const statuses: Record<number, string> = {};
  if (spec.params || spec.query || spec.body || spec.rawBody) {
    statuses[400] = "bad input (the message names the field)";
  }
  if (spec.auth !== "none") statuses[401] = "no, or an invalid, token";
  if (spec.auth === "operator") statuses[403] = "this route needs the operator token";
  if (spec.guild ?? spec.path.includes(":guild")) {
    statuses[403] = "you may not manage this guild (Administrator or Manage Server, bot present)";
    statuses[502] = "Discord could not be reached, or failed, during the permission check";
    statuses[503] = "Discord is rate limiting flora (`discord_busy`; see the message for when)";
  }
  if (spec.body || spec.rawBody) statuses[413] = "the body is larger than the route's limit";
  if (spec.body) statuses[415] = "a JSON body sent without `Content-Type: application/json`";
  if (spec.auth !== "none") statuses[429] = "rate limited (see Retry-After)";
  return statuses;
}

/** Builds the OpenAPI document for the given routes. */
export function openApiDocument(specs: RouteSpec[], info: { version: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const spec of specs) {
    const path = spec.path.replace(/:(\w+)/g, "{$1}");
    paths[path] ??= {};
    const responses: Record<string, unknown> = {};
    for (const [status, description] of Object.entries(spec.responses)) {
      responses[status] = { description };
    }
    for (const [status, description] of Object.entries(routerStatuses(spec))) {
      responses[status] ??= { description };
    }
    paths[path][spec.method] = {
      summary: spec.summary,
      ...(spec.description ? { description: spec.description } : {}),
      tags: [spec.tag],
      operationId: `${spec.method}${
        spec.path.replace(/[:{}]/g, "").split(/[^A-Za-z0-9]/).map((p) =>
          p.charAt(0).toUpperCase() + p.slice(1)
        ).join("")
      }`,
      ...(spec.auth === "none" ? { security: [] } : {}),
      parameters: [...parameters(spec.params, "path"), ...parameters(spec.query, "query")],
      ...(spec.body
        ? {
          requestBody: {
            required: true,
            content: { "application/json": { schema: jsonSchema(spec.body) } },
          },
        }
        : spec.rawBody
        ? {
          requestBody: {
            required: true,
            content: { [spec.rawBody.contentType]: { schema: { type: "string" } } },
          },
        }
        : {}),
      responses,
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "flora API",
      version: info.version,
      description:
        "Deploy and operate per-guild Discord bot scripts. Authenticate with `Authorization: Bearer <token>` " +
        "(an API token from `flora login`, or the operator token) or a browser session from /auth/login. " +
        "Errors are `{ error: { code, message, requestId } }`.",
    },
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
    },
    security: [{ bearer: [] }],
    paths,
  };
}

/** A reference page that fetches `/openapi.json` and lists every operation. */
export const REFERENCE_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>flora API reference</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#222}
h2{margin-top:2rem;border-bottom:1px solid #ddd}
details{border:1px solid #ddd;border-radius:6px;margin:.5rem 0;padding:.4rem .8rem}
summary{cursor:pointer}code,pre{background:#f5f5f5;border-radius:4px;padding:.1rem .3rem}
pre{padding:.6rem;overflow:auto}.m{display:inline-block;width:4.5rem;font-weight:bold;text-transform:uppercase}
.get{color:#0a7}.post{color:#06c}.put{color:#a60}.delete{color:#c33}
</style></head><body><h1>flora API reference</h1><p id="intro"></p><div id="ops">Loading…</div>
<script type="module">
const doc = await (await fetch("openapi.json")).json();
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => "&#" + c.charCodeAt(0) + ";");
document.getElementById("intro").textContent = doc.info.description;
const byTag = {};
for (const [path, ops] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(ops)) {
  (byTag[op.tags[0]] ??= []).push({ path, method, op });
}
document.getElementById("ops").innerHTML = Object.entries(byTag).map(([tag, ops]) =>
  "<h2>" + esc(tag) + "</h2>" + ops.map(({ path, method, op }) =>
    "<details><summary><span class='m " + method + "'>" + method + "</span><code>" + esc(path) +
    "</code> " + esc(op.summary) + "</summary>" +
    (op.description ? "<p>" + esc(op.description) + "</p>" : "") +
    (op.parameters.length ? "<h4>Parameters</h4><ul>" + op.parameters.map((p) =>
      "<li><code>" + esc(p.name) + "</code> (" + p.in + (p.required ? ", required" : "") + ") " +
      esc(p.schema.type ?? "") + " " + esc(p.description ?? "") + "</li>").join("") + "</ul>" : "") +
    (op.requestBody ? "<h4>Body</h4><pre>" + esc(JSON.stringify(Object.values(op.requestBody.content)[0].schema, null, 2)) + "</pre>" : "") +
    "<h4>Responses</h4><ul>" + Object.entries(op.responses).map(([s, r]) =>
      "<li><code>" + s + "</code> " + esc(r.description) + "</li>").join("") + "</ul></details>"
  ).join("")).join("");
</script></body></html>
`;
