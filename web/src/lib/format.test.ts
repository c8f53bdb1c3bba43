import { describe, expect, it } from "vitest";
import { formatHours, yearInSaoPaulo } from "./format";

describe("formatHours", () => {
  it.each([
    ["3.00", "3 horas"],
    ["1.00", "1 hora"],
    ["2.50", "2,5 horas"],
    ["3.33", "3,33 horas"],
    ["0.00", "0 horas"],
  ])("writes %s as %s", (value, text) => expect(formatHours(value)).toBe(text));
});

describe("yearInSaoPaulo", () => {
  it("counts 31 December 22:00 in São Paulo (already 1 January in UTC) in the old year", () =>
    expect(yearInSaoPaulo("2026-01-01T01:00:00Z")).toBe(2025));
  it("counts 1 January 00:30 in São Paulo in the new year", () =>
    expect(yearInSaoPaulo("2026-01-01T03:30:00Z")).toBe(2026));
});
