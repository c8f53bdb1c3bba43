import { expect, test } from "@playwright/test";
import { emailsTo, PASSWORD, signIn, signOut, visit, volunteer } from "./support";

test("a forgotten password is reset through the e-mailed link, and a changed one keeps this session", async ({
  page,
  request,
}) => {
  const name = await volunteer(request);
  await page.goto("/entrar");
  await page.getByRole("link", { name: "Esqueci minha senha" }).click();
  await page.getByLabel("E-mail da conta").fill(`${name}@example.org`);
  await page.getByRole("button", { name: "Enviar link" }).click();
  await expect(page.getByText(/Se houver uma conta com esse e-mail/)).toBeVisible();
  await visit(page, "esqueci-senha");

  const [message] = (await emailsTo(`${name}@example.org`)).filter((text) => text.includes("redefinir-senha"));
  const link = message?.match(/\/redefinir-senha\?uid=[^&\s]+&token=[^\s"<]+/)?.[0];
  expect(link).toBeTruthy();
  await page.goto(link ?? "/");
  await page.getByLabel(/Nova senha/).fill("Reflorestar-2027!");
  await page.getByRole("button", { name: "Salvar nova senha" }).click();
  await expect(page.getByText(/Senha redefinida/)).toBeVisible();
  await visit(page, "redefinir-senha");

  await signIn(page, name, "Reflorestar-2027!");
  await page.goto("/minha-area");
  await page.getByLabel("Senha atual").fill("Reflorestar-2027!");
  await page.getByLabel(/^Nova senha/).fill(PASSWORD + "-nova");
  await page.getByRole("button", { name: "Alterar senha" }).click();
  await expect(page.getByText(/Senha alterada/)).toBeVisible();
  // The session goes on with the new tokens, also after a reload (the refresh cookie was replaced).
  await page.reload();
  await expect(page.getByRole("heading", { name: "Notificações por e-mail" })).toBeVisible();
  await signOut(page);
  await signIn(page, name, PASSWORD + "-nova");
});
