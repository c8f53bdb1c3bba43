import { expect, test } from "@playwright/test";
import { publishedEvent, signIn, token, visit } from "./support";

test("the organiser files the report after the start, and the impact dashboard shows it after the monthly job", async ({
  page,
  request,
}) => {
  // Reports are accepted once the event has started, and events cannot be published in the past: this one
  // starts a few seconds from now.
  const eventId = await publishedEvent(request, "carla", {}, 0.2);
  await page.waitForTimeout(13_000);
  await signIn(page, "carla");
  await page.goto(`/eventos/${eventId}/gerenciar`);
  await page.getByRole("link", { name: "Relatório de impacto" }).click();
  await expect(page.getByRole("heading", { name: "Relatório de impacto" })).toBeVisible();
  await page.getByLabel("Participantes").fill("12");
  await page.getByLabel("Duração (horas)").fill("3");
  await page.getByLabel("Resíduos recolhidos (kg)").fill("1234");
  await page.getByLabel("Dos quais recicláveis (kg)").fill("400");
  await page.getByLabel("Árvores plantadas").fill("0");
  await page.getByLabel("Área cuidada (m²)").fill("2000");
  await page.getByLabel("Resumo").fill("Praça limpa.");
  await page.getByRole("button", { name: "Salvar relatório" }).click();
  await expect(page.getByText(/Relatório salvo/)).toBeVisible();
  await visit(page, "relatorio");

  // Staff runs the monthly report for the current month through the admin API.
  const now = new Date(Date.now() - 3 * 3600_000); // São Paulo's calendar month
  const run = await request.post("/api/v1/admin/reports/monthly", {
    headers: { Authorization: `Bearer ${await token(request, "admin")}` },
    data: { year: now.getUTCFullYear(), month: now.getUTCMonth() + 1 },
  });
  expect(run.status()).toBe(202);

  await expect
    .poll(async () => {
      await page.goto("/impacto");
      return page.getByText("Resíduos por cidade em").count();
    }, { timeout: 30_000 })
    .toBeGreaterThan(0);
  // Each chart is a canvas drawn by Chart.js once loaded, with the same figures in a table under it.
  const byCity = page.getByRole("figure", { name: /Resíduos por cidade em/ });
  await expect(byCity.getByRole("img", { name: /Gráfico de barras: Resíduos por cidade/ })).toBeVisible();
  expect(await byCity.locator("canvas").evaluate((canvas: HTMLCanvasElement) => canvas.width)).toBeGreaterThan(0);
  await byCity.getByText("Ver os números em tabela").click();
  await expect(byCity.getByRole("row", { name: /São Paulo\/SP 1\.234 kg/ })).toBeVisible();
  await expect(page.getByRole("link", { name: /Dados abertos/ })).toBeVisible();
  // The methodology states the factors in use and their sources, as the API serves them.
  const recycling = page.getByRole("article", { name: "Reciclagem de resíduos" });
  await expect(recycling).toContainText("3,240795 kg de CO₂e evitados por kg reciclado");
  await expect(recycling).toContainText("Waste Reduction Model (WARM)");
  await expect(page.getByRole("article", { name: "Árvore plantada" })).toContainText("urban tree seedlings");
  await visit(page, "impacto");

  // The figures by city of another month are one choice away (here the month before, with no report filed).
  const previous = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  const earlier = await request.post("/api/v1/admin/reports/monthly", {
    headers: { Authorization: `Bearer ${await token(request, "admin")}` },
    data: { year: previous.getUTCFullYear(), month: previous.getUTCMonth() + 1 },
  });
  expect(earlier.status()).toBe(202);
  const months = ["jan", "fev", "mar", "abr", "mai", "jun", "jul", "ago", "set", "out", "nov", "dez"];
  const earlierLabel = `${months[previous.getUTCMonth()]}/${String(previous.getUTCFullYear()).slice(2)}`;
  await expect
    .poll(async () => {
      await page.goto("/impacto");
      return page.getByRole("option", { name: earlierLabel }).count();
    }, { timeout: 30_000 })
    .toBeGreaterThan(0);
  await page.getByLabel("Mês", { exact: true }).selectOption({ label: earlierLabel });
  await page.getByRole("button", { name: "Ver cidades" }).click();
  await expect(page).toHaveURL(/[?&]mes=\d{4}-\d{2}/);
  await expect(page.getByText(`Nenhuma cidade com relatório público em ${earlierLabel}.`)).toBeVisible();
  await expect(page.getByRole("link", { name: `Dados abertos de ${earlierLabel} (CSV)` })).toBeVisible();
});
