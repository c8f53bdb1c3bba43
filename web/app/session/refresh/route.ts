import { NextRequest, NextResponse } from "next/server";
import { serverApi } from "@/api/client";
import { clearRefreshCookie, forwardedHeaders, REFRESH_COOKIE, setRefreshCookie } from "@/lib/session";

/** Trades the cookie's refresh token for a new pair (the API rotates it); the page gets the access token. */
export async function POST(request: NextRequest): Promise<NextResponse> {
  const refresh = request.cookies.get(REFRESH_COOKIE)?.value;
  if (!refresh) {
    return NextResponse.json({ code: "not_signed_in", message: "Sem sessão.", details: {} }, { status: 401 });
  }
  const { data, error, response: upstream } = await serverApi()
    .POST("/api/v1/auth/token/refresh", { body: { refresh }, headers: forwardedHeaders(request) })
    .catch(() => ({ data: undefined, error: undefined, response: undefined }));
  if (data) {
    const response = NextResponse.json({ access: data.access });
    setRefreshCookie(request, response, data.refresh);
    return response;
  }
  // A refused refresh token (expired, rotated, revoked) ends the session; an outage keeps the cookie for later.
  const response = NextResponse.json(error ?? {}, { status: upstream?.status === 401 ? 401 : 503 });
  if (upstream?.status === 401) clearRefreshCookie(response);
  return response;
}
