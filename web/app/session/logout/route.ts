import { NextRequest, NextResponse } from "next/server";
import { apiOrigin } from "@/api/client";
import { clearRefreshCookie, forwardedHeaders, REFRESH_COOKIE } from "@/lib/session";

/** Signs out: the API blacklists the refresh token, and the cookie is cleared whatever the API answers. */
export async function POST(request: NextRequest): Promise<NextResponse> {
  const refresh = request.cookies.get(REFRESH_COOKIE)?.value;
  const authorization = request.headers.get("authorization");
  if (refresh && authorization) {
    await fetch(`${apiOrigin()}/api/v1/auth/logout`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: authorization, ...forwardedHeaders(request) },
      body: JSON.stringify({ refresh }),
      cache: "no-store",
    }).catch(() => undefined);
  }
  const response = new NextResponse(null, { status: 204 });
  clearRefreshCookie(response);
  return response;
}
