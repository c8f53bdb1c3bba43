import { describe, expect, it } from "vitest";
import { safeNext } from "./nextPath";

describe("safeNext", () => {
  it("keeps a path on this site", () => expect(safeNext("/eventos/3")).toBe("/eventos/3"));
  it.each(["https://evil.example", "//evil.example", "/\\evil.example", "", null])("refuses %s", (value) =>
    expect(safeNext(value)).toBe("/"),
  );
});
