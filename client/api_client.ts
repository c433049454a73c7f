/**
 * A small typed client for the flora API. Failures become
 * {@linkcode CliError}s whose exit code tells scripts what happened
 * (3 API/network, 5 auth, 6 not found) and whose message is the API's own.
 *
 * @module
 */

import { CliError, ExitCode } from "./exit_codes.ts";
import { errorMessage } from "../shared/error_message.ts";

/** Which flora API to talk to, and as whom. */
export interface ApiTarget {
  url: string;
  token: string;
}

/** A deployment as the API reports it. */
export interface DeploymentSummary {
  id: string;
  guildId: string;
  revision: number;
  status: "pending" | "active" | "failed" | "superseded" | "suspended";
  error?: string;
  entry: string;
  size: number;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  /** Hosts the script may fetch from (empty: fetch is off). */
  fetchHosts?: string[];
}

/** A response from the API: its status and parsed JSON body. */
export interface ApiResponse<T> {
  status: number;
  body: T;
}

export interface RequestOptions {
  /** Statuses whose error body is returned instead of thrown (e.g. 422 for a failed deploy). */
  accept?: number[];
  /** Raw body text (sent as-is with `contentType`). */
  text?: string;
  contentType?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** Sends a request; network failures become a CliError. */
export async function send(
  target: ApiTarget,
  method: string,
  path: string,
  body?: unknown,
  options: RequestOptions = {},
): Promise<Response> {
  const headers: Record<string, string> = {
    ...(target.token ? { authorization: `Bearer ${target.token}` } : {}),
    ...options.headers,
  };
  let payload: string | undefined;
  if (options.text !== undefined) {
    payload = options.text;
    headers["content-type"] = options.contentType ?? "text/plain";
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers["content-type"] = "application/json";
  }
  try {
    return await fetch(`${target.url}${path}`, {
      method,
      headers,
      body: payload,
      signal: options.signal,
    });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw new CliError(
      ExitCode.Api,
      `could not reach the flora API at ${target.url}: ${errorMessage(error)}`,
    );
  }
}

/** Turns an error response into a CliError with the matching exit code. */
export async function failure(response: Response): Promise<CliError> {
  const text = await response.text();
  let message = text.slice(0, 300);
  try {
    const error = JSON.parse(text).error;
    if (error?.message) {
      message = error.message + (error.requestId ? ` (request id ${error.requestId})` : "");
    }
  } catch { /* not JSON: show the text */ }
  const code = response.status === 401 || response.status === 403
    ? ExitCode.Auth
    : response.status === 404
    ? ExitCode.NotFound
    : ExitCode.Api;
  return new CliError(code, `the API refused (${response.status}): ${message}`);
}

/** Calls the API and parses its JSON answer. */
export async function request<T>(
  target: ApiTarget,
  method: string,
  path: string,
  body?: unknown,
  options: RequestOptions = { accept: [422] },
): Promise<ApiResponse<T>> {
  const response = await send(target, method, path, body, options);
  if (!response.ok && !(options.accept ?? []).includes(response.status)) {
    throw await failure(response);
  }
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) as T };
  } catch {
    throw new CliError(
      ExitCode.Api,
      `the API answered ${response.status} with a non-JSON body: ${text.slice(0, 200)}`,
    );
  }
}

/** Calls the API and returns its text answer (e.g. JSON lines). */
export async function requestText(
  target: ApiTarget,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<string> {
  const response = await send(target, method, path, undefined, options);
  if (!response.ok) throw await failure(response);
  return await response.text();
}
