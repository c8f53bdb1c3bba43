import { expect, test } from "@playwright/test";
import { publishedEvent, signIn, visit } from "./support";

test("another user cannot reach the organiser's pages: clean 403 and 404 screens", async ({ page, request }) => {
  const published = await publishedEvent(request, "ana");
  const draft = await publishedEvent(request, "ana", { status: "draft" });

  await signIn(page, "bruno");
  await page.goto(`/eventos/${published}/gerenciar`);
  await expect(page.getByRole("heading", { name: "Acesso restrito" })).toBeVisible();
  await visit(page, "acesso-restrito");

  await page.goto(`/eventos/${draft}`);
  await expect(page.getByRole("heading", { name: "Evento não encontrado" })).toBeVisible();
  await page.goto(`/eventos/${draft}/gerenciar`);
  await expect(page.getByRole("heading", { name: "Evento não encontrado" })).toBeVisible();

  await page.goto("/nao-existe");
  await expect(page.getByRole("heading", { name: "Página não encontrada" })).toBeVisible();
  await visit(page, "nao-encontrado");
});
