import { NextRequest, NextResponse } from "next/server";
import { apiOrigin } from "@/api/client";
import { forwardedHeaders } from "@/lib/session";

// The browser only ever talks to this origin: `/api/...` is forwarded to the API named by API_URL at run time.
const REQUEST_HEADERS = ["accept", "authorization", "content-type", "idempotency-key", "if-none-match"];
const RESPONSE_HEADERS = [
  "allow",
  "cache-control",
  "content-disposition",
  "content-type",
  "etag",
  "idempotent-replayed",
  "retry-after",
  "x-request-id",
];

async function forward(request: NextRequest, context: { params: Promise<{ path: string[] }> }): Promise<Response> {
  const { path } = await context.params;
  const target = `${apiOrigin()}/api/${path.map(encodeURIComponent).join("/")}${request.nextUrl.search}`;
  const headers: Record<string, string> = forwardedHeaders(request);
  for (const name of REQUEST_HEADERS) {
    const value = request.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  const hasBody = !["GET", "HEAD"].includes(request.method);
  let upstream: Response;
  try {
    upstream = await fetch(target, {
      method: request.method,
      headers,
      body: hasBody ? await request.arrayBuffer() : undefined,
      cache: "no-store",
      redirect: "manual",
    });
  } catch {
    return NextResponse.json(
      { code: "api_unreachable", message: "A API está fora do ar. Tente de novo em instantes.", details: {} },
      { status: 503, headers: { "Retry-After": "5" } },
    );
  }
  const out = new Headers();
  for (const name of RESPONSE_HEADERS) {
    const value = upstream.headers.get(name);
    if (value !== null) out.set(name, value);
  }
  return new Response(upstream.body, { status: upstream.status, headers: out });
}

export const GET = forward;
export const POST = forward;
export const PUT = forward;
export const PATCH = forward;
export const DELETE = forward;
export const HEAD = forward;
