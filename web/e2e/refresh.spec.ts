import { expect, test } from "@playwright/test";
import { signIn, visit } from "./support";

test("an access token that expires mid-session is refreshed silently", async ({ page }) => {
  const saves: number[] = [];
  page.on("response", (response) => {
    if (response.request().method() === "PUT" && response.url().includes("/notification-settings")) {
      saves.push(response.status());
    }
  });
  await signIn(page, "carla");
  await page.goto("/minha-area");
  await expect(page.getByRole("heading", { name: "Notificações por e-mail" })).toBeVisible();
  await visit(page, "minha-area");

  // The test API issues 10-second access tokens: this save is made with an expired one.
  await page.waitForTimeout(11_000);
  await page.getByLabel("Lembrete quantas horas antes (1 a 168)").fill("48");
  await page.getByRole("button", { name: "Salvar preferências" }).click();
  await expect(page.getByText("Preferências salvas.")).toBeVisible();
  await expect(page).toHaveURL(/minha-area/);
  // The first try was refused with the stale token, the retry after the refresh went through.
  expect(saves).toEqual([401, 200]);
});
