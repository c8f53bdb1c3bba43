import { NextRequest, NextResponse } from "next/server";
import { serverApi } from "@/api/client";
import { clearRefreshCookie, forwardedHeaders, REFRESH_COOKIE } from "@/lib/session";

/** Signs out: the API blacklists the refresh token, and the cookie is cleared whatever the API answers. */
export async function POST(request: NextRequest): Promise<NextResponse> {
  const refresh = request.cookies.get(REFRESH_COOKIE)?.value;
  if (refresh) await revoke(request, refresh).catch(() => undefined);
  const response = new NextResponse(null, { status: 204 });
  clearRefreshCookie(response);
  return response;
}

/**
 * The API logs a refresh token out for the holder of a valid access token. The page's may have expired (they
 * last minutes), or be missing: then the refresh token is traded for a new pair, which spends it (rotation),
 * and the new refresh token is logged out with the new access token. Either way no token of the session lives on.
 */
async function revoke(request: NextRequest, refresh: string): Promise<void> {
  const api = serverApi();
  const headers = forwardedHeaders(request);
  const authorization = request.headers.get("authorization");
  if (authorization) {
    const { response } = await api.POST("/api/v1/auth/logout", {
      body: { refresh },
      headers: { ...headers, Authorization: authorization },
    });
    if (response.status !== 401) return;
  }
  const { data: pair } = await api.POST("/api/v1/auth/token/refresh", { body: { refresh }, headers });
  if (!pair) return; // already spent, expired or revoked: nothing left to log out
  await api.POST("/api/v1/auth/logout", {
    body: { refresh: pair.refresh },
    headers: { ...headers, Authorization: `Bearer ${pair.access}` },
  });
}
