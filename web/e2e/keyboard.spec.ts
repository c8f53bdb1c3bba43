import { expect, test, type Locator, type Page } from "@playwright/test";
import { publishedEvent, volunteer, visit } from "./support";

/**
 * How visible the focus is on the focused element: its outline's width and its contrast with the background
 * behind it (WCAG 2.2's focus appearance asks for 3:1). Computed in the page from the styles in force.
 */
async function focusIndicator(page: Page): Promise<{ tag: string; text: string; visible: boolean; width: number; contrast: number }> {
  return page.evaluate(() => {
    const element = document.activeElement as HTMLElement | null;
    if (!element || element === document.body) return { tag: "body", text: "", visible: false, width: 0, contrast: 0 };
    const rgb = (color: string) => (color.match(/[\d.]+/g) ?? []).map(Number);
    const linear = (v = 0) => {
      const c = v / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    };
    const luminance = ([r, g, b]: number[]) => 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
    // The outline is drawn around the element, over what its parent shows: the first opaque background up the tree.
    let behind = "rgb(255, 255, 255)";
    for (let node = element.parentElement; node; node = node.parentElement) {
      const background = getComputedStyle(node).backgroundColor;
      const [, , , alpha = 1] = rgb(background);
      if (background !== "transparent" && alpha > 0) {
        behind = background;
        break;
      }
    }
    const style = getComputedStyle(element);
    const width = style.outlineStyle === "none" ? 0 : Number.parseFloat(style.outlineWidth);
    const [a, b] = [luminance(rgb(style.outlineColor)), luminance(rgb(behind))];
    return {
      tag: element.tagName.toLowerCase(),
      text: `${element.id ? `#${element.id} ` : ""}${element.getAttribute("type") ?? ""} ${(element.getAttribute("aria-label") ?? element.textContent ?? "").trim().slice(0, 40)}`.trim(),
      // Date fields focus their inner parts (day, month, year): the field itself may match only :focus-within.
      visible: element.matches(":focus-visible") || element.matches('input[type^="date"]:focus-within, input[type="time"]:focus-within'),
      width,
      contrast: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05),
    };
  });
}

/** Presses Tab until `target` has the focus, checking on every stop that the focus can be seen. */
async function tabTo(page: Page, target: Locator, maxPresses = 60): Promise<void> {
  for (let i = 0; i < maxPresses; i += 1) {
    await page.keyboard.press("Tab");
    const focus = await focusIndicator(page);
    if (focus.tag !== "body") {
      expect(focus.visible && focus.width >= 2 && focus.contrast >= 3, `focus on ${focus.tag} "${focus.text}": ${JSON.stringify(focus)}`).toBe(true);
    }
    if (await target.evaluate((element) => element === document.activeElement)) return;
  }
  throw new Error(`${target} not reached in ${maxPresses} presses of Tab`);
}

test("with the keyboard alone a volunteer signs in, finds an event, joins and leaves it, and signs out", async ({ page, request }) => {
  const name = await volunteer(request);
  const eventId = await publishedEvent(request, "ana");
  const title = ((await (await request.get(`/api/v1/events/${eventId}`)).json()) as { title: string }).title;

  await page.goto("/");
  await tabTo(page, page.getByRole("link", { name: "Entrar" }).first());
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Entrar" })).toBeVisible();
  await tabTo(page, page.getByLabel("Usuário ou e-mail"));
  await page.keyboard.type(name);
  await tabTo(page, page.getByLabel("Senha"));
  await page.keyboard.type("mutirao-demo-2026");
  await page.keyboard.press("Enter");
  await expect(page.getByRole("button", { name: "Sair" })).toBeVisible();

  await tabTo(page, page.getByRole("link", { name: "Eventos", exact: true }));
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Buscar eventos" })).toBeVisible();
  await tabTo(page, page.getByLabel("Texto"));
  await page.keyboard.type(title);
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/[?&]q=/);
  const result = page.getByRole("link", { name: title });
  await tabTo(page, result);
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: title })).toBeVisible();

  await tabTo(page, page.getByRole("button", { name: "Quero participar" }));
  await page.keyboard.press("Space");
  await expect(page.getByText("Inscrição confirmada.")).toBeVisible();
  await tabTo(page, page.getByRole("button", { name: "Cancelar inscrição" }));
  await page.keyboard.press("Space");
  await expect(page.getByText("Inscrição cancelada.")).toBeVisible();
  await visit(page, "evento-teclado");

  // On past the page's end, the tab order comes round to the header again.
  await tabTo(page, page.getByRole("button", { name: "Sair" }), 120);
  await page.keyboard.press("Enter");
  await expect(page.getByRole("link", { name: "Entrar" })).toBeVisible();
});
