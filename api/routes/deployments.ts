/**
 * `/deployments/:guild`: deploy a script, read the current deployment, the
 * history (who deployed what, when, and how it went), one revision, and
 * roll back to an earlier revision (redeployed as a new revision).
 *
 * @module
 */

import { z } from "zod";
import { hostPattern, MAX_HOST_PATTERNS } from "../../storage/host_patterns.ts";
import type { Deployment, DeploymentStore, NewDeployment } from "../../storage/types.ts";
import { actorName } from "../auth.ts";
import { lexerReady, sealScript } from "../../runtime/sandbox/script_imports.ts";
import { projectFiles } from "../project_sources.ts";
import { ApiError } from "../errors.ts";
import { type ApiRouter, snowflake } from "../routing.ts";

/** Rolls out deployments (the runtime's deployer). */
export interface DeployService {
  deploy(input: NewDeployment): Promise<Deployment>;
  /** Redeploys a stored revision as a new deployment; null when there is no such revision. */
  rollback(
    guildId: string,
    target: { revision: number } | { id: string },
    createdBy: string,
  ): Promise<Deployment | null>;
}

export interface DeploymentRoutesOptions {
  store: DeploymentStore;
  deployer: DeployService;
  /** Largest accepted script bundle, bytes. */
  maxBundleBytes: number;
}

/** A deployment without its bundle text (which can be megabytes). */
export function summarize(d: Deployment) {
  return {
    id: d.id,
    guildId: d.guildId,
    revision: d.revision,
    status: d.status,
    ...(d.error ? { error: d.error } : {}),
    entry: d.bundle.entry,
    size: d.bundle.code.length,
    createdBy: d.createdBy,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
    fetchHosts: d.fetchHosts ?? [],
  };
}

/** One host pattern (`storage/host_patterns.ts`), normalised. */
export const hostPatternSchema = z.string().max(300).transform((text, ctx) => {
  const r = hostPattern(text);
  if (r.ok) return r.pattern;
  ctx.addIssue({ code: "custom", message: r.error });
  return z.NEVER;
});

/** A list of host patterns. */
export const hostListSchema = z.array(hostPatternSchema).max(
  MAX_HOST_PATTERNS,
  `at most ${MAX_HOST_PATTERNS} hosts`,
);

const guildParams = z.object({ guild: snowflake });

const deployBody = z.object({
  entry: z.string().min(1).max(256).describe("the entry file's name, for messages"),
  code: z.string().min(1).describe("the bundled script (one ES module)"),
  sourceMap: z.string().optional().describe("source map JSON for code"),
  fetchHosts: hostListSchema.optional().describe(
    'hosts the script may fetch from ("api.example.com", "*.example.com", "host:8443"); ' +
      "absent or empty: outbound fetch is off",
  ),
}).strict();

const rollbackBody = z.union([
  z.object({ revision: z.number().int().min(1) }).strict(),
  z.object({ id: z.string().min(1).max(64) }).strict(),
]).describe("the revision number or deployment id to roll back to");

const revisionText = z.string().regex(/^\d{1,9}$/, "must be a revision number").transform(Number);

/** A guild's revision, or a 404 saying there is none. */
async function findRevision(
  store: DeploymentStore,
  guildId: string,
  revision: number,
): Promise<Deployment> {
  const list = await store.list(guildId, { limit: 1000 });
  const found = list.find((d) => d.revision === revision);
  if (!found) {
    throw new ApiError(404, "no_revision", `guild ${guildId} has no revision ${revision}`);
  }
  return found;
}

/** Registers the deployment routes. */
export function registerDeploymentRoutes(api: ApiRouter, options: DeploymentRoutesOptions): void {
  const respond = (d: Deployment) => ({
    body: { deployment: summarize(d) },
    status: d.status === "active" ? 201 as const : 422 as const,
  });

  api.route({
    method: "post",
    path: "/deployments/:guild",
    tag: "deployments",
    auth: "user",
    summary: "Deploy a script",
    description:
      "Stores the bundle, loads it beside the running version, registers its commands and switches. " +
      "Answers 201 when live, 422 with `error` when the script failed to load (the previous version keeps running).",
    params: guildParams,
    body: deployBody,
    // JSON escaping can grow a bundle; leave room for it and the source map.
    maxBodyBytes: options.maxBundleBytes * 3,
    responses: {
      201: "live",
      400: "bad input",
      413: "too large",
      422: "failed to load, or imports modules",
    },
  }, async (c, { params, body, principal }) => {
    const bytes = new TextEncoder().encode(body.code).length;
    if (bytes > options.maxBundleBytes) {
      throw new ApiError(
        413,
        "bundle_too_large",
        `the script bundle is ${bytes} bytes; the limit is ${options.maxBundleBytes}`,
      );
    }
    // A script that imports modules (node: built-ins above all) is refused before it is stored.
    await lexerReady;
    const sealed = sealScript(body.code);
    if (!sealed.ok) throw new ApiError(422, "script_imports", sealed.error);
    const { fetchHosts, ...bundle } = body;
    const r = respond(
      await options.deployer.deploy({
        guildId: params.guild,
        createdBy: actorName(principal),
        bundle,
        ...(fetchHosts?.length ? { fetchHosts } : {}),
      }),
    );
    return c.json(r.body, r.status);
  });

  api.route({
    method: "get",
    path: "/deployments/:guild/current",
    tag: "deployments",
    auth: "user",
    summary: "The guild's live deployment",
    params: guildParams,
    responses: { 200: "the live deployment", 404: "nothing deployed" },
  }, async (c, { params }) => {
    const current = await options.store.current(params.guild);
    if (!current) {
      throw new ApiError(404, "no_deployment", "this guild has no active deployment");
    }
    return c.json({ deployment: summarize(current) });
  });

  api.route({
    method: "get",
    path: "/deployments/:guild",
    tag: "deployments",
    auth: "user",
    summary: "Deployment history, newest first",
    params: guildParams,
    query: z.object({
      limit: z.string().regex(/^\d+$/, "must be a whole number from 1 to 100").transform(Number)
        .pipe(z.number().int().min(1, "must be at least 1").max(100, "must be at most 100"))
        .optional().describe("how many (1-100, default 20)"),
    }),
    responses: { 200: "the deployments" },
  }, async (c, { params, query }) => {
    const list = await options.store.list(params.guild, { limit: query.limit ?? 20 });
    return c.json({ deployments: list.map(summarize) });
  });

  api.route({
    method: "get",
    path: "/deployments/:guild/revisions/:revision",
    tag: "deployments",
    auth: "user",
    summary: "One revision",
    params: z.object({ guild: snowflake, revision: revisionText }),
    query: z.object({
      code: z.enum(["true", "false"]).optional().describe("include the bundle's code"),
    }),
    responses: { 200: "the revision", 404: "no such revision" },
  }, async (c, { params, query }) => {
    const found = await findRevision(options.store, params.guild, params.revision);
    return c.json({
      deployment: {
        ...summarize(found),
        ...(query.code === "true" ? { code: found.bundle.code } : {}),
      },
    });
  });

  api.route({
    method: "get",
    path: "/deployments/:guild/revisions/:revision/sources",
    tag: "deployments",
    auth: "user",
    summary: "One revision's project files, exactly as written",
    description: "Read from the revision's source map (`sources` + `sourcesContent`): every file " +
      "the dashboard deployed, or for a CLI deploy every file that went into the bundle. " +
      "`files` is empty when the revision was deployed without a source map.",
    params: z.object({ guild: snowflake, revision: revisionText }),
    responses: { 200: "{ revision, entry, files: [{ path, content }] }", 404: "no such revision" },
  }, async (c, { params }) => {
    const found = await findRevision(options.store, params.guild, params.revision);
    return c.json({
      revision: found.revision,
      entry: found.bundle.entry,
      files: projectFiles(found.bundle.sourceMap),
    });
  });

  api.route({
    method: "post",
    path: "/deployments/:guild/rollback",
    tag: "deployments",
    auth: "user",
    summary: "Roll back to an earlier revision",
    description: "Redeploys the given revision's bundle as a new revision.",
    params: guildParams,
    body: rollbackBody,
    responses: { 201: "live", 404: "no such revision", 422: "failed to load" },
  }, async (c, { params, body, principal }) => {
    const d = await options.deployer.rollback(params.guild, body, actorName(principal));
    if (!d) {
      const what = "revision" in body ? `revision ${body.revision}` : `deployment ${body.id}`;
      throw new ApiError(404, "no_revision", `guild ${params.guild} has no ${what}`);
    }
    const r = respond(d);
    return c.json(r.body, r.status);
  });
}
