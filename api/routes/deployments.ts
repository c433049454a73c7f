/**
 * `/deployments/:guild`: create a deployment, read the current one and the
 * history.
 *
 * @module
 */

import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import type { Deployment, DeploymentStore, NewDeployment } from "../../storage/types.ts";
import { errorResponse } from "../errors.ts";

/** Rolls out a stored deployment (the runtime's deployer). */
export interface DeployService {
  deploy(input: NewDeployment): Promise<Deployment>;
}

export interface DeploymentRoutesOptions {
  store: DeploymentStore;
  deployer: DeployService;
  /** Largest accepted script bundle, bytes. */
  maxBundleBytes: number;
}

const snowflake = /^\d{17,20}$/;

const deployBody = z.object({
  entry: z.string().min(1).max(256),
  code: z.string().min(1),
  sourceMap: z.string().optional(),
}).strict();

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
  };
}

/** The deployment routes. */
export function deploymentRoutes(options: DeploymentRoutesOptions) {
  const app = new Hono<{ Variables: { actor: string } }>();

  app.use("/:guild/*", async (c, next) => {
    if (!snowflake.test(c.req.param("guild"))) {
      return errorResponse(c, 400, "invalid_guild", "guild must be a Discord id (17-20 digits)");
    }
    await next();
  });
  app.use("/:guild", async (c, next) => {
    if (!snowflake.test(c.req.param("guild"))) {
      return errorResponse(c, 400, "invalid_guild", "guild must be a Discord id (17-20 digits)");
    }
    await next();
  });

  app.post(
    "/:guild",
    bodyLimit({
      // JSON escaping can grow a bundle; leave room for it and the source map.
      maxSize: options.maxBundleBytes * 3,
      onError: (c) =>
        errorResponse(
          c,
          413,
          "too_large",
          `the upload is larger than ${options.maxBundleBytes * 3} bytes`,
        ),
    }),
    async (c) => {
      let json: unknown;
      try {
        json = await c.req.json();
      } catch {
        return errorResponse(
          c,
          400,
          "invalid_json",
          "the body must be JSON: { entry, code, sourceMap? }",
        );
      }
      const parsed = deployBody.safeParse(json);
      if (!parsed.success) {
        return errorResponse(c, 400, "invalid_body", z.prettifyError(parsed.error));
      }
      const bytes = new TextEncoder().encode(parsed.data.code).length;
      if (bytes > options.maxBundleBytes) {
        return errorResponse(
          c,
          413,
          "bundle_too_large",
          `the script bundle is ${bytes} bytes; the limit is ${options.maxBundleBytes}`,
        );
      }
      const deployment = await options.deployer.deploy({
        guildId: c.req.param("guild"),
        createdBy: c.get("actor"),
        bundle: parsed.data,
      });
      return c.json(
        { deployment: summarize(deployment) },
        deployment.status === "active" ? 201 : 422,
      );
    },
  );

  app.get("/:guild/current", async (c) => {
    const current = await options.store.current(c.req.param("guild"));
    if (!current) {
      return errorResponse(c, 404, "no_deployment", "this guild has no active deployment");
    }
    return c.json({ deployment: summarize(current) });
  });

  app.get("/:guild", async (c) => {
    const limitText = c.req.query("limit") ?? "20";
    const limit = Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      return errorResponse(c, 400, "invalid_limit", "limit must be a whole number from 1 to 100");
    }
    const list = await options.store.list(c.req.param("guild"), { limit });
    return c.json({ deployments: list.map(summarize) });
  });

  return app;
}
