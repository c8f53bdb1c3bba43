import { describe, expect, it } from "vitest";
import { isRecord, stringField } from "./narrow";

describe("narrowing JSON nothing guarantees", () => {
  it("takes objects as records, not arrays or null", () => {
    expect(isRecord({ a: 1 })).toBe(true);
    expect([null, [], "x", 3, undefined].map(isRecord)).toEqual([false, false, false, false, false]);
  });

  it("reads a non-empty string field or gives null", () => {
    expect(stringField({ access: "abc" }, "access")).toBe("abc");
    expect([{ access: "" }, { access: 3 }, {}, "access", null].map((v) => stringField(v, "access"))).toEqual([
      null, null, null, null, null,
    ]);
  });
});
