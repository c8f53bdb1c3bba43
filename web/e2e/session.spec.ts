import { expect, test, type BrowserContext } from "@playwright/test";
import { PASSWORD, signIn, signOut, volunteer } from "./support";

const COOKIE = "mutiroes_refresh";

async function refreshCookie(context: BrowserContext) {
  return (await context.cookies()).find((cookie) => cookie.name === COOKIE);
}

test("the refresh token is in an httpOnly, SameSite=Lax cookie the page cannot read, and signing out blacklists it in the API", async ({
  page,
  request,
}) => {
  const name = await volunteer(request);
  const login = page.waitForResponse((response) => response.url().endsWith("/session/login"));
  await signIn(page, name);
  const setCookie = (await (await login).headerValue("set-cookie")) ?? "";
  expect(setCookie).toMatch(/; HttpOnly/i);
  expect(setCookie).toMatch(/; SameSite=lax/i);
  expect(setCookie).not.toMatch(/; Secure/i); // plain http on 127.0.0.1: a Secure cookie would never be sent back
  // The sign-in answer gives the page the access token only.
  expect(Object.keys((await (await login).json()) as object)).toEqual(["access"]);

  const cookie = await refreshCookie(page.context());
  expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Lax", secure: false, path: "/session" });
  expect(await page.evaluate(() => document.cookie)).not.toContain(COOKIE);
  expect(await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }))).not.toContain(cookie!.value);

  await signOut(page);
  expect(await refreshCookie(page.context())).toBeUndefined();
  const reuse = await request.post("/api/v1/auth/token/refresh", { data: { refresh: cookie!.value } });
  expect(reuse.status()).toBe(401);
});

test("signing out after the access token has expired still blacklists the refresh token", async ({ page, request }) => {
  const name = await volunteer(request);
  await signIn(page, name);
  const cookie = await refreshCookie(page.context());
  expect(cookie).toBeDefined();
  // The test API issues 10-second access tokens: the page's is stale when the visitor signs out.
  await page.waitForTimeout(11_000);
  await signOut(page);

  const reuse = await request.post("/api/v1/auth/token/refresh", { data: { refresh: cookie!.value } });
  expect(reuse.status()).toBe(401);
  // And the session that sign-out traded it for is over too: the cookie is gone and nothing refreshes.
  expect(await refreshCookie(page.context())).toBeUndefined();
  expect((await page.request.post("/session/refresh")).status()).toBe(401);
});

test("outside localhost the cookie is Secure as well", async ({ request }) => {
  const name = await volunteer(request);
  const response = await request.post("/session/login", {
    headers: { Host: "mutiroes.example" },
    data: { username: name, password: PASSWORD },
  });
  expect(response.status()).toBe(200);
  const setCookie = response.headers()["set-cookie"] ?? "";
  expect(setCookie).toMatch(/; Secure/i);
  expect(setCookie).toMatch(/; HttpOnly/i);
  expect(setCookie).toMatch(/; SameSite=lax/i);
});
