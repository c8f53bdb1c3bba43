import { expect, test } from "@playwright/test";
import { emailsTo, publishedEvent, signIn, token, visit, volunteer } from "./support";

test("the pages no other journey photographs pass axe too: sign-in, certificate lookup, public profile, unsubscribe, event edit", async ({
  page,
  request,
}) => {
  await page.goto("/entrar");
  await expect(page.getByRole("heading", { name: "Entrar" })).toBeVisible();
  await visit(page, "entrar");

  await page.goto("/certificados");
  await expect(page.getByRole("heading", { name: "Verificar certificado" })).toBeVisible();
  await visit(page, "certificados");

  await page.goto("/perfil/ana");
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Ana");
  await visit(page, "perfil");

  // The registration e-mail's unsubscribe link leads to its page; confirming stops that kind of e-mail only.
  const name = await volunteer(request);
  const eventId = await publishedEvent(request, "ana");
  const auth = { Authorization: `Bearer ${await token(request, name)}` };
  expect((await request.post(`/api/v1/events/${eventId}/join`, { headers: auth, data: {} })).status()).toBe(201);
  const [message] = (await emailsTo(`${name}@example.org`)).filter((text) => text.includes("/descadastrar?token="));
  const link = message?.match(/\/descadastrar\?token=[^\s"<]+/)?.[0];
  expect(link).toBeTruthy();
  await page.goto(link!);
  await expect(page.getByRole("heading", { name: "Deixar de receber e-mails" })).toBeVisible();
  await visit(page, "descadastrar");
  await page.getByRole("button", { name: "Confirmar" }).click();
  await expect(page.getByText(/não recebe mais e-mails de confirmação de inscrição/)).toBeVisible();
  await visit(page, "descadastrar-feito");

  await signIn(page, "ana");
  await page.goto(`/eventos/${eventId}/editar`);
  await expect(page.getByRole("heading", { name: "Editar evento" })).toBeVisible();
  await expect(page.getByLabel("Título")).toHaveValue(/Mutirão de teste/);
  await visit(page, "editar-evento");
});
