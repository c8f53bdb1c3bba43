import { expect, test } from "@playwright/test";
import { signIn, signOut, token, unique, visit, volunteer } from "./support";

function localInput(date: Date): string {
  // datetime-local in São Paulo time (UTC-3 all year).
  return new Date(date.getTime() - 3 * 3600_000).toISOString().slice(0, 16);
}

test("an organiser publishes an event with a map pin, approves a participant, shows the QR, and the participant checks in through it", async ({
  page,
  request,
}) => {
  const title = unique("Plantio no Parque do Carmo ");
  await signIn(page, "ana");
  await page.getByRole("link", { name: "Criar evento" }).click();
  await expect(page.getByRole("heading", { name: "Criar evento" })).toBeVisible();
  await page.getByLabel("Título").fill(title);
  await page.getByLabel("Categoria").selectOption({ label: "Plantio" });
  await page.getByLabel("Descrição").fill("Plantio de mudas nativas com a comunidade.");
  const start = new Date(Date.now() + 30 * 60_000); // check-in opens one hour before the start
  await page.getByLabel("Início").fill(localInput(start));
  await page.getByLabel("Término").fill(localInput(new Date(start.getTime() + 3 * 3600_000)));
  await page.getByLabel("Vagas").fill("5");
  await page.getByLabel("Endereço ou ponto de encontro").fill("Av. Afonso de Sampaio e Sousa, 951");
  await page.getByLabel("Cidade").fill("São Paulo");
  await page.getByLabel("Inscrições precisam da minha aprovação").check();

  // Publishing without a place is refused next to the map, not sent as (0,0).
  await page.getByRole("button", { name: "Publicar" }).click();
  await expect(page.getByText("Marque o local no mapa.")).toBeVisible();
  await visit(page, "criar-evento");

  // The pin: a click on the map (no tiles are reachable here; the map still takes the click).
  await page.getByRole("application", { name: /Mapa: clique/ }).click({ position: { x: 120, y: 100 } });
  await expect(page.getByLabel("Latitude")).not.toHaveValue("");
  // ...then the exact place typed, the keyboard way.
  await page.getByLabel("Latitude").fill("-23.5742");
  await page.getByLabel("Longitude").fill("-46.4736");
  await page.getByRole("button", { name: "Publicar" }).click();
  await expect(page.getByRole("heading", { name: title })).toBeVisible();
  const eventId = Number(page.url().match(/eventos\/(\d+)\/gerenciar/)?.[1]);
  expect(eventId).toBeGreaterThan(0);

  const detail = await request.get(`/api/v1/events/${eventId}`);
  const saved = (await detail.json()) as { latitude: number; longitude: number; status: string };
  expect([saved.latitude, saved.longitude, saved.status]).toEqual([-23.5742, -46.4736, "published"]);

  const participant = await volunteer(request);
  const join = await request.post(`/api/v1/events/${eventId}/join`, {
    headers: { Authorization: `Bearer ${await token(request, participant)}` },
    data: {},
  });
  expect(((await join.json()) as { status: string }).status).toBe("pending");

  await page.reload();
  await page.getByRole("button", { name: `Aprovar ${participant}` }).click();
  await expect(page.getByRole("cell", { name: /Inscrição confirmada/ })).toBeVisible();
  const qr = page.getByRole("img", { name: /QR code de check-in/ });
  await expect(qr).toBeVisible();
  await visit(page, "gerenciar-evento");
  const checkInUrl = ((await qr.getAttribute("alt")) ?? "").replace("QR code de check-in: ", "");
  expect(checkInUrl).toMatch(new RegExp(`/eventos/${eventId}/check-in\\?codigo=`));
  await signOut(page);

  await signIn(page, participant);
  await page.goto(checkInUrl);
  await visit(page, "check-in");
  await page.getByRole("button", { name: "Confirmar minha presença" }).click();
  await expect(page.getByText(/Check-in confirmado/)).toBeVisible();
  await page.goto(`/eventos/${eventId}`);
  await expect(page.getByText(/Check-in feito em/)).toBeVisible();
});
