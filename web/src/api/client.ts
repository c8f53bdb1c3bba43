import createClient, { type Client } from "openapi-fetch";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type ApiClient = Client<paths>;

/** The API's origin for calls made by the Next server, read per request (never baked in at build time). */
export function apiOrigin(): string {
  return (process.env.API_URL ?? "http://127.0.0.1:8000").replace(/\/+$/, "");
}

/**
 * Sends a request's body as bytes with its length: from Node, a Request's body leaves as a chunked stream, which
 * the embedded mode's server (Django's development server) reads as no body at all.
 */
async function withLength(request: Request): Promise<Response> {
  const body = request.body ? await request.arrayBuffer() : undefined;
  return fetch(request.url, { method: request.method, headers: request.headers, body, cache: "no-store" });
}

/** A client for server components and route handlers; anonymous unless given an access token. */
export function serverApi(accessToken?: string): ApiClient {
  return createClient<paths>({
    baseUrl: apiOrigin(),
    headers: accessToken ? { Authorization: `Bearer ${accessToken}` } : {},
    cache: "no-store",
    fetch: withLength,
  });
}

/** A client for the browser: same origin (`/api/...` is forwarded by the Next server), with the given fetch. */
export function browserApi(fetchImpl: (request: Request) => Promise<Response>): ApiClient {
  return createClient<paths>({ baseUrl: "", fetch: fetchImpl });
}
