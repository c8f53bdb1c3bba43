import { expect, test } from "@playwright/test";
import { publishedEvent, signIn, signOut, volunteer } from "./support";

test("a full event puts the next person on the waiting list, and a leave promotes them", async ({ page, request }) => {
  const eventId = await publishedEvent(request, "ana", { max_participants: 1 });
  const first = await volunteer(request);
  const second = await volunteer(request);

  await signIn(page, first);
  await page.goto(`/eventos/${eventId}`);
  await page.getByRole("button", { name: "Quero participar" }).click();
  await expect(page.getByText("Inscrição confirmada.")).toBeVisible();
  await signOut(page);

  await signIn(page, second);
  await page.goto(`/eventos/${eventId}`);
  await page.getByRole("button", { name: "Entrar na lista de espera" }).click();
  await expect(page.getByText("Na lista de espera: você é o nº 1 da fila.")).toBeVisible();
  await signOut(page);

  await signIn(page, first);
  await page.goto(`/eventos/${eventId}`);
  await page.getByRole("button", { name: "Cancelar inscrição" }).click();
  await expect(page.getByText("Inscrição cancelada.")).toBeVisible();
  await signOut(page);

  await signIn(page, second);
  await page.goto(`/eventos/${eventId}`);
  await expect(page.getByText("Inscrição confirmada.")).toBeVisible();
});
