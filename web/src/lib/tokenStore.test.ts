import { describe, expect, it, vi } from "vitest";
import { createSession } from "./tokenStore";

describe("createSession", () => {
  it("shares one refresh between concurrent callers", async () => {
    let resolve: (r: Response) => void = () => undefined;
    const post = vi.fn(() => new Promise<Response>((r) => (resolve = r)));
    const session = createSession(post);
    const both = Promise.all([session.refresh(), session.refresh()]);
    resolve(new Response(JSON.stringify({ access: "T" }), { status: 200 }));
    expect(await both).toEqual(["T", "T"]);
    expect(post).toHaveBeenCalledTimes(1);
    expect(session.get()).toBe("T");
  });

  it("forgets the token when the refresh is refused", async () => {
    const session = createSession(async () => new Response("{}", { status: 401 }));
    session.set("old");
    expect(await session.refresh()).toBeNull();
    expect(session.get()).toBeNull();
  });
});
