import { describe, expect, it, vi } from "vitest";
import { authFetch, type TokenStore } from "./authFetch";

function store(initial: string | null, refreshed: string | null): TokenStore & { signedOut: number } {
  let token = initial;
  const s = {
    signedOut: 0,
    get: () => token,
    refresh: vi.fn(async () => {
      token = refreshed;
      return refreshed;
    }),
    onSignedOut: () => {
      s.signedOut += 1;
    },
  };
  return s;
}

const ok = () => new Response("{}", { status: 200 });
const unauthorized = () => new Response("{}", { status: 401 });

describe("authFetch", () => {
  it("sends the access token", async () => {
    const base = vi.fn(async (request: Request) => {
      expect(request.headers.get("authorization")).toBe("Bearer A");
      return ok();
    });
    const response = await authFetch(store("A", null), base as unknown as typeof fetch)(new Request("http://x/api"));
    expect(response.status).toBe(200);
    expect(base).toHaveBeenCalledTimes(1);
  });

  it("refreshes once on 401 and retries with the new token and the same body", async () => {
    const seen: string[] = [];
    const base = vi.fn(async (request: Request) => {
      seen.push(`${request.headers.get("authorization")} ${await request.text()}`);
      return request.headers.get("authorization") === "Bearer B" ? ok() : unauthorized();
    });
    const s = store("A", "B");
    const request = new Request("http://x/api", { method: "POST", body: '{"a":1}' });
    const response = await authFetch(s, base as unknown as typeof fetch)(request);
    expect(response.status).toBe(200);
    expect(seen).toEqual(['Bearer A {"a":1}', 'Bearer B {"a":1}']);
    expect(s.signedOut).toBe(0);
  });

  it("signs out when the refresh fails", async () => {
    const s = store("A", null);
    const response = await authFetch(s, (async () => unauthorized()) as unknown as typeof fetch)(
      new Request("http://x/api"),
    );
    expect(response.status).toBe(401);
    expect(s.signedOut).toBe(1);
  });

  it("does not refresh for an anonymous 401", async () => {
    const s = store(null, "B");
    await authFetch(s, (async () => unauthorized()) as unknown as typeof fetch)(new Request("http://x/api"));
    expect(s.refresh).not.toHaveBeenCalled();
  });
});
