import { describe, expect, it } from "vitest";
import { csvField, csvLine } from "./csv.ts";

/** A strict RFC 4180 reader (quoted fields only, as csvLine writes them), to check round trips. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] !== '"') throw new Error(`unquoted field at ${i}`);
    let value = "";
    i++;
    for (;;) {
      if (text[i] === '"' && text[i + 1] === '"') {
        value += '"';
        i += 2;
      } else if (text[i] === '"') {
        i++;
        break;
      } else if (i >= text.length) {
        throw new Error("unterminated field");
      } else {
        value += text[i++];
      }
    }
    row.push(value);
    if (text[i] === ",") i++;
    else if (text.startsWith("\r\n", i)) {
      rows.push(row);
      row = [];
      i += 2;
    } else throw new Error(`unexpected ${JSON.stringify(text[i])} at ${i}`);
  }
  return rows;
}

describe("audit CSV", () => {
  it("quotes every field and doubles quotes, so commas, quotes and line breaks stay in their field", () => {
    const line = csvLine(["a,b", 'say "hi"', "two\nlines", "cr\r\nlf", "", null, 42, true]);
    expect(line).toBe('"a,b","say ""hi""","two\nlines","cr\r\nlf","","","42","true"\r\n');
    expect(parseCsv(line)).toEqual([["a,b", 'say "hi"', "two\nlines", "cr\r\nlf", "", "", "42", "true"]]);
  });

  it("prefixes fields a spreadsheet would run as a formula with a quote (OWASP CSV injection)", () => {
    for (const start of ["=", "+", "-", "@", "\t", "\r"]) {
      expect(csvField(`${start}cmd|' /C calc'!A0`)).toBe(`"'${start}cmd|' /C calc'!A0"`);
    }
    expect(csvField('=HYPERLINK("http://evil.test","x")')).toBe('"\'=HYPERLINK(""http://evil.test"",""x"")"');
    expect(csvField("-2+3")).toBe(`"'-2+3"`);
    // Only a leading character counts; ordinary text and addresses are left alone.
    expect(csvField("a=b")).toBe('"a=b"');
    expect(csvField("alice@example.test")).toBe('"alice@example.test"');
    expect(csvField("2001:db8::1")).toBe('"2001:db8::1"');
  });

  it("writes rows a reader gets back field for field", () => {
    const rows = [
      ["time", "actor"],
      ["2026-01-01T00:00:00.000Z", '"quoted", and\nmultiline'],
    ];
    expect(parseCsv(rows.map(csvLine).join(""))).toEqual(rows);
  });
});
