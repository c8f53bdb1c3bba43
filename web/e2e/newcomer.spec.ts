import { expect, test } from "@playwright/test";
import { emailsTo, unique, visit } from "./support";

test("a newcomer registers, finds an event near São Paulo, joins and gets the e-mail, then confirms the address to organise", async ({
  page,
}) => {
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "Mutirões ambientais perto de você" })).toBeVisible();
  await visit(page, "inicio");

  const name = unique("joana");
  await page.getByRole("link", { name: "Cadastrar" }).click();
  await visit(page, "cadastro");
  await page.getByLabel("Nome", { exact: true }).fill("Joana");
  await page.getByLabel("Nome de usuário").fill(name);
  await page.getByLabel("E-mail").fill(`${name}@example.org`);
  await page.getByLabel(/^Senha/).fill("plantar-arvores-2026");
  await page.getByRole("button", { name: "Criar conta" }).click();
  await expect(page.getByRole("button", { name: "Sair" })).toBeVisible();

  await page.goto("/eventos");
  await page.getByLabel("Perto de").selectOption("São Paulo");
  await page.getByLabel("Raio (km)").fill("30");
  await page.getByRole("button", { name: "Buscar", exact: true }).click();
  await expect(page.getByRole("heading", { name: /eventos? encontrados?/ })).toBeVisible();
  await expect(page.getByText(/a \d+(,\d)? km/).first()).toBeVisible();
  await expect(page.getByRole("link", { name: "Limpeza da orla da Lagoa da Pampulha" })).toHaveCount(0);
  await visit(page, "busca");

  await page.getByRole("link", { name: "Limpeza do Parque Ibirapuera" }).click();
  await expect(page.getByRole("heading", { name: "Limpeza do Parque Ibirapuera" })).toBeVisible();
  await visit(page, "evento");
  await page.getByRole("button", { name: "Quero participar" }).click();
  await expect(page.getByText("Inscrição confirmada.")).toBeVisible();

  const emails = await emailsTo(`${name}@example.org`);
  expect(emails.join("\n")).toContain("Limpeza do Parque Ibirapuera");

  // Not confirmed yet: joining works, organising waits for the e-mailed link (a new one can be asked for).
  await page.goto("/eventos/novo");
  await expect(page.getByText(/Confirme seu e-mail para organizar mutirões/)).toBeVisible();
  await page.getByRole("button", { name: "Reenviar e-mail de confirmação" }).click();
  await expect(page.getByText(/Enviamos um novo link/)).toBeVisible();
  await visit(page, "criar-evento-sem-confirmar");

  const [message] = (await emailsTo(`${name}@example.org`)).filter((text) => text.includes("verificar-email"));
  const link = message?.match(/\/verificar-email\?token=[^\s"<]+/)?.[0];
  expect(link).toBeTruthy();
  await page.goto(link ?? "/");
  await expect(page.getByText("E-mail confirmado.")).toBeVisible();
  await visit(page, "verificar-email");
  await page.getByRole("link", { name: "organizar um mutirão" }).click();
  await expect(page.getByRole("heading", { name: "Criar evento" })).toBeVisible();
  await expect(page.getByText(/Confirme seu e-mail/)).toHaveCount(0);
});
