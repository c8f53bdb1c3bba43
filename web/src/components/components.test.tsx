import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { problemFrom } from "@/api/errors";
import { Bars } from "./Bars";
import { FieldError, ProblemNotice } from "./Notice";

afterEach(cleanup);

describe("ProblemNotice", () => {
  it("says nothing without a problem", () => {
    const { container } = render(<ProblemNotice problem={null} />);
    expect(container.innerHTML).toBe("");
  });

  it("announces a 429 as an alert with the wait from Retry-After", () => {
    render(<ProblemNotice problem={problemFrom(429, { code: "throttled", message: "Too many tries." }, "42")} />);
    expect(screen.getByRole("alert").textContent).toBe("Too many tries. Tente de novo em 42 s.");
  });

  it("says a 409 the person can act on in Portuguese, by its code", () => {
    render(<ProblemNotice problem={problemFrom(409, { code: "certificate_revoked", message: "revoked" })} />);
    expect(screen.getByRole("alert").textContent).toBe("O organizador revogou este certificado; ele não pode mais ser baixado.");
  });

  it("points at the fields for a 422 with field errors, which show next to their fields", () => {
    const problem = problemFrom(422, { code: "validation_error", message: "bad", details: { fields: { title: ["too short"] } } });
    render(
      <>
        <ProblemNotice problem={problem} />
        <FieldError id="title-error" message={problem.fields.title} />
        <FieldError id="city-error" message={problem.fields.city} />
      </>,
    );
    expect(screen.getByRole("alert").textContent).toBe("Verifique os campos destacados.");
    expect(document.getElementById("title-error")?.textContent).toBe("too short");
    expect(document.getElementById("city-error")).toBeNull();
  });
});

describe("Bars", () => {
  it("is a captioned list with each value, the longest bar for the largest", () => {
    render(<Bars title="Resíduos por mês" unit="kg" rows={[{ label: "jan", value: 50 }, { label: "fev", value: 200 }]} />);
    expect(screen.getByText("Resíduos por mês")).toBeTruthy();
    const items = screen.getAllByRole("listitem");
    expect(items.map((li) => li.textContent)).toEqual(["jan50 kg", "fev200 kg"]);
    const widths = items.map((li) => (li.querySelector(".bar") as HTMLElement).style.width);
    expect(widths).toEqual(["25%", "100%"]);
  });
});
