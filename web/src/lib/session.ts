import type { NextRequest, NextResponse } from "next/server";

/** The refresh token lives only in this httpOnly cookie, readable by the Next server alone. */
export const REFRESH_COOKIE = "mutiroes_refresh";
const SEVEN_DAYS_S = 7 * 24 * 3600;

function isLocal(request: NextRequest): boolean {
  const host = request.headers.get("host") ?? "";
  return /^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/.test(host);
}

/** COOKIE_SECURE as the API reads it: 1, true, yes or on. */
function flag(value: string): boolean {
  return ["1", "true", "yes", "on"].includes(value.trim().toLowerCase());
}

/** Secure outside localhost (or always, with COOKIE_SECURE=1, behind a TLS-terminating gateway). */
export function setRefreshCookie(request: NextRequest, response: NextResponse, refresh: string): void {
  const forced = process.env.COOKIE_SECURE;
  response.cookies.set(REFRESH_COOKIE, refresh, {
    httpOnly: true,
    sameSite: "lax",
    secure: forced === undefined ? !isLocal(request) : flag(forced),
    path: "/session",
    maxAge: SEVEN_DAYS_S,
  });
}

export function clearRefreshCookie(response: NextResponse): void {
  response.cookies.set(REFRESH_COOKIE, "", { httpOnly: true, sameSite: "lax", path: "/session", maxAge: 0 });
}

/** Headers that tell the API who the visitor is (their address, for its per-address throttles). */
export function forwardedHeaders(request: NextRequest): Record<string, string> {
  const chain = request.headers.get("x-forwarded-for");
  return chain ? { "X-Forwarded-For": chain } : {};
}
