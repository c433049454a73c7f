/**
 * The page's calls to the playground server. Failures become `Error`s with
 * the server's message, for the page to show.
 *
 * @module
 */

/** GETs JSON from the playground server. */
export async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(path);
  const body = await response.json();
  if (!response.ok) throw new Error(body?.error ?? `${path} answered ${response.status}`);
  return body as T;
}

/** POSTs JSON to the playground server; resolves to its JSON answer. */
export async function postJson<T>(path: string, input: unknown): Promise<T> {
  const response = await fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(input),
  });
  const body = await response.json();
  if (!response.ok) throw new Error(body?.error ?? `${path} answered ${response.status}`);
  return body as T;
}
