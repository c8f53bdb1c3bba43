import { NextRequest, NextResponse } from "next/server";
import { apiOrigin } from "@/api/client";
import { clearRefreshCookie, forwardedHeaders, REFRESH_COOKIE, setRefreshCookie } from "@/lib/session";

/** Trades the cookie's refresh token for a new pair (the API rotates it); the page gets the access token. */
export async function POST(request: NextRequest): Promise<NextResponse> {
  const refresh = request.cookies.get(REFRESH_COOKIE)?.value;
  if (!refresh) {
    return NextResponse.json({ code: "not_signed_in", message: "Sem sessão.", details: {} }, { status: 401 });
  }
  const upstream = await fetch(`${apiOrigin()}/api/v1/auth/token/refresh`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...forwardedHeaders(request) },
    body: JSON.stringify({ refresh }),
    cache: "no-store",
  });
  const body = (await upstream.json().catch(() => ({}))) as { access?: string; refresh?: string };
  if (upstream.ok && body.access && body.refresh) {
    const response = NextResponse.json({ access: body.access });
    setRefreshCookie(request, response, body.refresh);
    return response;
  }
  // A refused refresh token (expired, rotated, revoked) ends the session; an outage keeps the cookie for later.
  const response = NextResponse.json(body, { status: upstream.status === 401 ? 401 : 503 });
  if (upstream.status === 401) clearRefreshCookie(response);
  return response;
}
