import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { problemFrom } from "@/api/errors";
import { ImpactChart } from "./charts/ImpactChart";
import { barOptions } from "./charts/config";
import { Methodology } from "./Methodology";
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

describe("ImpactChart", () => {
  it("puts the figures of the chart in a table, each row headed by its label, the unit in the column", () => {
    render(<ImpactChart title="Resíduos por mês" unit="kg" column="Mês" rows={[{ label: "jan/26", value: 50 }, { label: "fev/26", value: 1234.5 }]} />);
    expect(screen.getByRole("figure", { name: "Resíduos por mês" })).toBeTruthy();
    const table = screen.getByRole("table", { name: "Resíduos por mês" });
    expect([...table.querySelectorAll("th[scope=col]")].map((th) => th.textContent)).toEqual(["Mês", "Total (kg)"]);
    expect([...table.querySelectorAll("tbody tr")].map((tr) => tr.textContent)).toEqual(["jan/2650 kg", "fev/261.234,5 kg"]);
  });
});

describe("barOptions", () => {
  it("counts from zero with pt-BR numbers and the unit, and does not animate for reduced motion", () => {
    const options = barOptions({ unit: "kg", horizontal: true, reducedMotion: true });
    expect(options.indexAxis).toBe("y");
    expect(options.animation).toBe(false);
    const x = options.scales?.x as { beginAtZero: boolean; ticks: { callback: (value: number) => string } };
    expect(x.beginAtZero).toBe(true);
    expect(x.ticks.callback(1500)).toBe("1.500 kg");
    expect(barOptions({ unit: "", horizontal: false, reducedMotion: false }).animation).toEqual({ duration: 400 });
  });
});

describe("Methodology", () => {
  const factor = {
    name: "tree_kg_co2_per_tree", applies_to: "trees_planted", value: "60.000", unit: "kg CO2 per tree planted",
    cited_value: "0.060", cited_unit: "metric ton CO2 per urban tree planted", conversion: "0.060 t CO2 × 1,000 kg/t",
    reference: "U.S. EPA, Greenhouse Gas Equivalencies Calculator",
  };

  it("shows each factor's value and its source, the citation marked as English", () => {
    render(<Methodology methodology={{ version: "epa-2019", method: "co2e_kg = ...", factors: [factor] }} />);
    expect(screen.getByText(/CO₂e \(kg\) = árvores plantadas × 60/)).toBeTruthy();
    const article = screen.getByRole("article", { name: "Árvore plantada" });
    expect(article.textContent).toContain("60 kg de CO₂ absorvidos por árvore");
    const source = screen.getByText("U.S. EPA, Greenhouse Gas Equivalencies Calculator");
    expect(source.getAttribute("lang")).toBe("en");
  });

  it("says so when the factors could not be loaded", () => {
    render(<Methodology methodology={null} />);
    expect(screen.getByText(/não puderam ser carregados/)).toBeTruthy();
  });
});
