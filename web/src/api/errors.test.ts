import { describe, expect, it } from "vitest";
import { describeProblem, problemFrom } from "./errors";

describe("problemFrom", () => {
  it("reads the API's field errors", () => {
    const p = problemFrom(422, { code: "validation_error", message: "invalid input", details: { fields: { title: "too short" } } });
    expect(p.fields).toEqual({ title: "too short" });
    expect(describeProblem(p)).toBe("Verifique os campos destacados.");
  });

  it("keeps the API's message and adds the retry time for 429", () => {
    const p = problemFrom(429, { code: "throttled", message: "Muitas tentativas de login.", details: {} }, "12");
    expect(describeProblem(p)).toBe("Muitas tentativas de login. Tente de novo em 12 s.");
  });

  it("says in pt-BR what a person can act on", () => {
    const p = problemFrom(409, { code: "certificate_revoked", message: "this certificate was revoked", details: {} });
    expect(describeProblem(p)).toBe("O organizador revogou este certificado; ele não pode mais ser baixado.");
  });

  it("survives a body that is not the API's", () => {
    const p = problemFrom(502, "<html>");
    expect(p.code).toBe("http_502");
    expect(p.message).toBe("Algo deu errado.");
  });
});
