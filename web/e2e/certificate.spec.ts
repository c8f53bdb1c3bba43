import { expect, test, type Page } from "@playwright/test";
import { publishedEvent, signIn, signOut, token, volunteer, visit } from "./support";

const EVENT_SECONDS = 20;

async function downloaded(page: Page, button: string): Promise<Buffer> {
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: button }).click()]);
  const path = await download.path();
  const fs = await import("node:fs");
  return fs.readFileSync(path);
}

test("a checked-in volunteer downloads the certificate, anyone verifies it, the organiser adjusts the hours and revokes it", async ({
  page,
  request,
}) => {
  test.setTimeout(120_000);
  // A short event: it starts in a few seconds and is over within the test, so its certificate can be issued.
  const start = new Date(Date.now() + 5_000);
  const end = new Date(start.getTime() + EVENT_SECONDS * 1000);
  const eventId = await publishedEvent(request, "ana", { start_date: start.toISOString(), end_date: end.toISOString() }, 0);
  const participant = await volunteer(request);
  const auth = { Authorization: `Bearer ${await token(request, participant)}` };
  expect((await request.post(`/api/v1/events/${eventId}/join`, { headers: auth, data: {} })).status()).toBe(201);
  const managed = await request.get(`/api/v1/events/${eventId}`, {
    headers: { Authorization: `Bearer ${await token(request, "ana")}` },
  });
  const code = ((await managed.json()) as { check_in_code: string }).check_in_code;
  expect((await request.post(`/api/v1/events/${eventId}/check-in`, { headers: auth, data: { code } })).ok()).toBeTruthy();

  // Checked in, but the event is still on: no certificate yet. Once it has ended, the event page offers it.
  await signIn(page, participant);
  await page.goto(`/eventos/${eventId}`);
  await expect(page.getByText(/Check-in feito em/)).toBeVisible();
  await expect(page.getByRole("button", { name: "Baixar certificado (PDF)" })).toHaveCount(0);
  await page.waitForTimeout(Math.max(0, end.getTime() - Date.now()) + 1_000);
  await page.reload();
  // A first name alone is not the full name a certificate states: the volunteer is told to add the surname.
  await page.getByRole("button", { name: "Baixar certificado (PDF)" }).click();
  await expect(page.getByText("Preencha nome e sobrenome no seu perfil para emitir o certificado.")).toBeVisible();
  await page.goto("/minha-area");
  await page.getByLabel("Sobrenome").fill("Pereira");
  await page.getByRole("button", { name: "Salvar perfil" }).click();
  await expect(page.getByText("Perfil salvo.")).toBeVisible();
  const holder = `${participant} Pereira`;
  await page.goto(`/eventos/${eventId}`);
  const pdf = await downloaded(page, "Baixar certificado (PDF)");
  expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");

  // My area lists it with its code, and the yearly statement downloads too.
  await page.goto("/minha-area");
  const card = page.getByRole("listitem").filter({ has: page.getByRole("link", { name: /Mutirão de teste/ }) }).first();
  await expect(card.getByText(/Código [0-9A-Z-]{33}/)).toBeVisible();
  await visit(page, "minha-area-certificados");
  const verification = ((await card.getByText(/Código /).textContent()) ?? "").match(/[0-9A-Z]{4}(?:-[0-9A-Z]{1,4}){6}/)?.[0];
  expect(verification).toBeTruthy();
  const year = new Intl.DateTimeFormat("en-CA", { timeZone: "America/Sao_Paulo", year: "numeric" }).format(start);
  expect((await downloaded(page, `Declaração anual de ${year} (PDF)`)).subarray(0, 5).toString()).toBe("%PDF-");
  await signOut(page);

  // Anyone, signed out, reads the same facts; a mistyped code is told apart from an unknown one.
  await page.goto(`/certificados/${verification}`);
  await expect(page.getByRole("heading", { name: "Certificado válido" })).toBeVisible();
  await expect(page.getByText(holder, { exact: true })).toBeVisible();
  await expect(page.getByText("0,01 horas")).toBeVisible(); // 20 seconds, to the hundredth of an hour
  await visit(page, "certificado-valido");
  const last = verification!.slice(-1);
  await page.goto(`/certificados/${verification!.slice(0, -1)}${last === "A" ? "B" : "A"}`);
  await expect(page.getByText(/digitado errado/)).toBeVisible();
  await page.goto("/certificados");
  await page.getByLabel("Código de verificação").fill(verification!.replaceAll("-", "").toLowerCase());
  await page.getByRole("button", { name: "Verificar" }).click();
  await expect(page.getByRole("heading", { name: "Certificado válido" })).toBeVisible();

  // The organiser adjusts the hours (the printed certificate is then replaced) and revokes the certificate.
  await signIn(page, "ana");
  await page.goto(`/eventos/${eventId}/gerenciar`);
  await page.getByLabel(`Horas de ${holder}`).fill("2");
  await page.getByLabel("Motivo do ajuste").fill("ajudou a montar a estrutura antes do início");
  await page.getByRole("button", { name: "Ajustar horas" }).click();
  await expect(page.getByText(/→ 2 horas por ana/)).toBeVisible();
  await visit(page, "gerenciar-horas");
  page.once("dialog", (dialog) => void dialog.accept());
  await page.getByLabel("Motivo da revogação").fill("check-in feito por outra pessoa");
  await page.getByRole("button", { name: "Revogar certificado" }).click();
  await expect(page.getByText("Certificado: revogado", { exact: false })).toBeVisible();
  await signOut(page);

  await page.goto(`/certificados/${verification}`);
  await expect(page.getByRole("heading", { name: "Certificado revogado" })).toBeVisible();
  await expect(page.getByText(participant)).toHaveCount(0);
  await visit(page, "certificado-revogado");

  // The participant can no longer download it, and is told why.
  await signIn(page, participant);
  await page.goto(`/eventos/${eventId}`);
  await page.getByRole("button", { name: "Baixar certificado (PDF)" }).click();
  await expect(page.getByText("O organizador revogou este certificado; ele não pode mais ser baixado.")).toBeVisible();
});
