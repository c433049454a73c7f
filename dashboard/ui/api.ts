/**
 * The dashboard's calls to the flora API (same origin, session cookie).
 * State-changing calls carry the session's CSRF token; errors become
 * {@linkcode ApiFailure} with the API's message, which says what to fix.
 *
 * @module
 */

/** An API error answer. */
export class ApiFailure extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

let csrfToken = "";

/** Sets the token sent with POST/PUT/DELETE (from `/auth/me`). */
export function setCsrfToken(token: string): void {
  csrfToken = token;
}

/** Calls the API; resolves to the JSON answer. */
export async function api<T = Record<string, unknown>>(
  method: "GET" | "POST" | "PUT" | "DELETE",
  path: string,
  body?: unknown,
): Promise<T> {
  const headers: Record<string, string> = {};
  if (method !== "GET") headers["x-flora-csrf"] = csrfToken;
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json().catch(() => ({})) as {
    error?: { code?: string; message?: string };
  };
  if (!response.ok && !(response.status === 422 && method === "POST")) {
    throw new ApiFailure(
      response.status,
      json.error?.code ?? "error",
      json.error?.message ?? `the API answered ${response.status}`,
    );
  }
  return json as T;
}
