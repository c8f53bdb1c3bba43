// @vitest-environment node
import { NextRequest, NextResponse } from "next/server";
import { afterEach, describe, expect, it, vi } from "vitest";
import { clearRefreshCookie, REFRESH_COOKIE, setRefreshCookie } from "./session";

function cookieFor(host: string): string {
  const request = new NextRequest(`http://${host}/session/login`, { headers: { host } });
  const response = NextResponse.json({});
  setRefreshCookie(request, response, "the-refresh-token");
  return response.headers.get("set-cookie") ?? "";
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("the refresh cookie", () => {
  it("is httpOnly, SameSite=Lax, scoped to /session and kept for seven days", () => {
    const cookie = cookieFor("127.0.0.1:3000");
    expect(cookie).toMatch(new RegExp(`^${REFRESH_COOKIE}=the-refresh-token;`));
    expect(cookie).toMatch(/; HttpOnly(;|$)/i);
    expect(cookie).toMatch(/; SameSite=lax(;|$)/i);
    expect(cookie).toMatch(/; Path=\/session(;|$)/);
    expect(cookie).toMatch(/; Max-Age=604800(;|$)/);
  });

  it("is Secure outside localhost, and not on localhost (plain http there)", () => {
    for (const host of ["127.0.0.1:3000", "localhost:3000", "localhost", "[::1]:3000"]) {
      expect(cookieFor(host), host).not.toMatch(/; Secure/i);
    }
    for (const host of ["mutiroes.org", "app.mutiroes.org:443", "localhost.mutiroes.org", "10.0.0.5:3000"]) {
      expect(cookieFor(host), host).toMatch(/; Secure(;|$)/i);
    }
  });

  it("follows COOKIE_SECURE when it is set (behind a TLS-terminating gateway, or to switch it off)", () => {
    vi.stubEnv("COOKIE_SECURE", "1");
    expect(cookieFor("127.0.0.1:3000")).toMatch(/; Secure(;|$)/i);
    vi.stubEnv("COOKIE_SECURE", "off");
    expect(cookieFor("mutiroes.org")).not.toMatch(/; Secure/i);
  });

  it("is cleared with the same name and path, at once", () => {
    const response = new NextResponse(null, { status: 204 });
    clearRefreshCookie(response);
    const cookie = response.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(new RegExp(`^${REFRESH_COOKIE}=;`));
    expect(cookie).toMatch(/; Path=\/session(;|$)/);
    expect(cookie).toMatch(/; Max-Age=0(;|$)|; Expires=Thu, 01 Jan 1970/);
  });
});
