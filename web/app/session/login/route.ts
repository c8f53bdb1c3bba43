import { NextRequest, NextResponse } from "next/server";
import { apiOrigin } from "@/api/client";
import { forwardedHeaders, setRefreshCookie } from "@/lib/session";

/** Signs in: the API's refresh token goes into the httpOnly cookie; the page gets only the access token. */
export async function POST(request: NextRequest): Promise<NextResponse> {
  let credentials: unknown;
  try {
    credentials = await request.json();
  } catch {
    return NextResponse.json({ code: "malformed_body", message: "Corpo inválido.", details: {} }, { status: 400 });
  }
  const upstream = await fetch(`${apiOrigin()}/api/v1/auth/token`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...forwardedHeaders(request) },
    body: JSON.stringify(credentials),
    cache: "no-store",
  });
  const body = (await upstream.json().catch(() => ({}))) as { access?: string; refresh?: string };
  if (!upstream.ok || !body.access || !body.refresh) {
    const headers: Record<string, string> = {};
    const retry = upstream.headers.get("retry-after");
    if (retry) headers["Retry-After"] = retry;
    return NextResponse.json(body, { status: upstream.ok ? 502 : upstream.status, headers });
  }
  const response = NextResponse.json({ access: body.access });
  setRefreshCookie(request, response, body.refresh);
  return response;
}
