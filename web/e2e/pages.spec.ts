import { expect, test } from "@playwright/test";
import { emailsTo, publishedEvent, signIn, signOut, token, visit, volunteer } from "./support";

test("the pages no other journey photographs pass axe too: sign-in, certificate lookup, public profile, unsubscribe, event edit, and the profile form", async ({
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
  // The verification e-mail comes first: wait for the registration e-mail, the one with an unsubscribe link.
  let link: string | undefined;
  await expect
    .poll(async () => {
      link = (await emailsTo(`${name}@example.org`)).map((text) => text.match(/\/descadastrar\?token=[^\s"<]+/)?.[0]).find(Boolean);
      return link;
    }, { timeout: 20_000 })
    .toBeTruthy();
  await page.goto(link!);
  await expect(page.getByRole("heading", { name: "Deixar de receber e-mails" })).toBeVisible();
  await visit(page, "descadastrar");
  await page.getByRole("button", { name: "Confirmar" }).click();
  await expect(page.getByText(/não recebe mais e-mails de confirmação de inscrição/)).toBeVisible();
  await visit(page, "descadastrar-feito");

  // The volunteer completes the profile (the name certificates state) and chooses what the public profile shows.
  await signIn(page, name);
  await page.goto("/minha-area");
  await page.getByLabel("Sobrenome").fill("Pereira Santos");
  await page.getByLabel("Cidade", { exact: true }).fill("Recife");
  await page.getByLabel("UF", { exact: true }).selectOption("PE");
  await page.getByLabel("Sobre você").fill("Gosto de limpar praias.");
  await page.getByLabel(/Data de nascimento/).fill("1999-04-21");
  await page.getByLabel("Mostrar minha cidade no perfil público").uncheck();
  await page.getByRole("button", { name: "Salvar perfil" }).click();
  await expect(page.getByText("Perfil salvo.")).toBeVisible();
  await visit(page, "minha-area-perfil");
  await page.goto(`/perfil/${name}`);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`${name} Pereira Santos`);
  await expect(page.getByText("Gosto de limpar praias.")).toBeVisible();
  await expect(page.getByText("Recife")).toHaveCount(0);
  await expect(page.getByText(/1999/)).toHaveCount(0);
  await page.goto("/minha-area");
  await expect(page.getByLabel(/Data de nascimento/)).toHaveValue("1999-04-21"); // kept, never shown publicly
  await signOut(page);

  await signIn(page, "ana");
  await page.goto(`/eventos/${eventId}/editar`);
  await expect(page.getByRole("heading", { name: "Editar evento" })).toBeVisible();
  await expect(page.getByLabel("Título")).toHaveValue(/Mutirão de teste/);
  await visit(page, "editar-evento");
});
