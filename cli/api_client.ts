/**
 * A small typed client for the flora API.
 *
 * @module
 */

import type { ApiTarget } from "./config.ts";
import { CliError, ExitCode } from "./exit_codes.ts";

/** A deployment as the API reports it. */
export interface DeploymentSummary {
  id: string;
  guildId: string;
  revision: number;
  status: "pending" | "active" | "failed" | "superseded";
  error?: string;
  entry: string;
  size: number;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

/** A response from the API: its status and parsed JSON body. */
export interface ApiResponse<T> {
  status: number;
  body: T;
}

/** Calls the API; network failures and non-JSON answers become {@linkcode CliError}s. */
export async function request<T>(
  target: ApiTarget,
  method: string,
  path: string,
  body?: unknown,
): Promise<ApiResponse<T>> {
  let response: Response;
  try {
    response = await fetch(`${target.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${target.token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new CliError(
      ExitCode.Api,
      `could not reach the flora API at ${target.url}: ${
        error instanceof Error ? error.message : error
      }`,
    );
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CliError(
      ExitCode.Api,
      `the API answered ${response.status} with a non-JSON body: ${text.slice(0, 200)}`,
    );
  }
  const error = (json as { error?: { message?: string } }).error;
  if (error && response.status !== 422) {
    throw new CliError(
      ExitCode.Api,
      `the API refused (${response.status}): ${error.message ?? "unknown error"}`,
    );
  }
  return { status: response.status, body: json as T };
}
