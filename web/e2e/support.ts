import AxeBuilder from "@axe-core/playwright";
import { expect, type APIRequestContext, type Page } from "@playwright/test";
import fs from "node:fs";
import path from "node:path";
import { DATA_DIR } from "../playwright.config";

export const PASSWORD = "mutirao-demo-2026";
const SHOTS = path.resolve(__dirname, "..", "test-results", "screenshots");
const VIEWPORTS = { celular: { width: 390, height: 844 }, desktop: { width: 1280, height: 900 } };

/** axe on the page as it stands: no serious or critical violation. */
export async function checkA11y(page: Page): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);
}

/** Screenshots at phone and desktop size (artifacts), then axe. */
export async function visit(page: Page, name: string): Promise<void> {
  await page.waitForLoadState("networkidle");
  fs.mkdirSync(SHOTS, { recursive: true });
  const original = page.viewportSize();
  for (const [label, size] of Object.entries(VIEWPORTS)) {
    await page.setViewportSize(size);
    await page.screenshot({ path: path.join(SHOTS, `${name}-${label}.png`), fullPage: true });
  }
  if (original) await page.setViewportSize(original);
  await checkA11y(page);
}

export async function signIn(page: Page, username: string, password = PASSWORD): Promise<void> {
  await page.goto("/entrar");
  await page.getByLabel("Usuário ou e-mail").fill(username);
  await page.getByLabel("Senha").fill(password);
  await page.getByRole("button", { name: "Entrar" }).click();
  await expect(page.getByRole("button", { name: "Sair" })).toBeVisible();
}

export async function signOut(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Sair" }).click();
  await expect(page.getByRole("link", { name: "Entrar" })).toBeVisible();
}

let counter = 0;
export function unique(prefix: string): string {
  counter += 1;
  return `${prefix}${Date.now().toString(36)}${counter}`;
}

/** A volunteer made through the API (the registration page has its own journey). */
export async function volunteer(request: APIRequestContext, name = unique("vol")): Promise<string> {
  const response = await request.post("/api/v1/auth/register", {
    data: { username: name, email: `${name}@example.org`, password: PASSWORD, first_name: name },
  });
  expect(response.status()).toBe(201);
  return name;
}

export async function token(request: APIRequestContext, username: string): Promise<string> {
  const response = await request.post("/api/v1/auth/token", { data: { username, password: PASSWORD } });
  expect(response.ok()).toBeTruthy();
  return ((await response.json()) as { access: string }).access;
}

/** An event made through the API by `organizer`, published, starting `startsInMinutes` from now. */
export async function publishedEvent(
  request: APIRequestContext,
  organizer: string,
  overrides: Record<string, unknown> = {},
  startsInMinutes = 60 * 24 * 3,
): Promise<number> {
  const start = new Date(Date.now() + startsInMinutes * 60_000);
  const end = new Date(start.getTime() + 3 * 3600_000);
  const response = await request.post("/api/v1/events", {
    headers: { Authorization: `Bearer ${await token(request, organizer)}` },
    data: {
      title: unique("Mutirão de teste "),
      description: "Limpeza de teste.",
      category_id: 1,
      address: "Praça da Sé",
      city: "São Paulo",
      state: "SP",
      latitude: -23.5503,
      longitude: -46.6339,
      start_date: start.toISOString(),
      end_date: end.toISOString(),
      max_participants: 10,
      status: "published",
      ...overrides,
    },
  });
  expect(response.status(), await response.text()).toBe(201);
  return ((await response.json()) as { id: number }).id;
}

/** The e-mails the embedded worker wrote for `address`, newest last (waits for the first one). */
export async function emailsTo(address: string): Promise<string[]> {
  const dir = path.join(DATA_DIR, "emails");
  let found: string[] = [];
  await expect
    .poll(
      () => {
        found = fs.existsSync(dir)
          ? fs
              .readdirSync(dir)
              .sort()
              .map((f) => fs.readFileSync(path.join(dir, f), "utf8"))
              .filter((text) => text.includes(address))
          : [];
        return found.length;
      },
      { timeout: 20_000 },
    )
    .toBeGreaterThan(0);
  return found;
}
