import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { contentHash } from "../../../lib/ingest/content_hash.ts";
import { FileParseError } from "../../../lib/ingest/document.ts";
import { parseDocumentFile, parseDocumentText } from "../../../lib/ingest/parse_document_file.ts";
import { csvRows } from "../../../lib/ingest/parsers/parse_csv.ts";

let dir: string;
beforeAll(async () => {
  dir = await Deno.makeTempDir({ prefix: "ingest-parsers-" });
});
afterAll(async () => {
  await Deno.remove(dir, { recursive: true });
});

function fatal(run: () => unknown): FileParseError {
  try {
    run();
  } catch (error) {
    if (error instanceof FileParseError) return error;
    throw error;
  }
  throw new Error("expected a FileParseError");
}

describe("markdown", () => {
  it("takes the title from front matter and keeps the rest as metadata", () => {
    const parsed = parseDocumentText(
      "---\ntitle: Release notes\ntags: [a, b]\n---\n# Heading\n\nBody text.\n",
      "markdown",
      "/x/notes.md",
    );
    expect(parsed.documents).toEqual([{
      recordKey: "",
      title: "Release notes",
      body: "# Heading\n\nBody text.",
      metadata: { tags: ["a", "b"] },
      line: 1,
    }]);
  });

  it("falls back to the first heading, then the first line", () => {
    expect(parseDocumentText("intro\n## Setup guide\n", "markdown", "a.md").documents[0]!.title)
      .toBe("Setup guide");
    expect(parseDocumentText("just words\nmore\n", "markdown", "a.md").documents[0]!.title)
      .toBe("just words");
  });

  it("reports broken front matter with its line", () => {
    const error = fatal(() =>
      parseDocumentText("---\ntitle: ok\nlist: [unclosed\n---\nbody", "markdown", "a.md")
    );
    expect(error.message).toMatch(/invalid YAML front matter/);
    expect(error.line).toBe(3);
    expect(fatal(() => parseDocumentText("---\ntitle: x\nno end", "markdown", "a.md")).line)
      .toBe(1);
  });
});

describe("json", () => {
  it("maps title, body and metadata of one object", () => {
    const [doc] = parseDocumentText(
      JSON.stringify({ id: 7, name: "Widget", content: "A small widget", price: 3 }),
      "json",
      "w.json",
    ).documents;
    expect(doc).toMatchObject({ recordKey: "", title: "Widget", body: "A small widget" });
    expect(doc!.metadata).toEqual({ id: 7, price: 3 });
  });

  it("names the line of a syntax error", () => {
    const error = fatal(() =>
      parseDocumentText('{\n  "title": "a",\n  "body": "b" "c"\n}\n', "json", "bad.json")
    );
    expect(error.line).toBe(3);
    expect(error.message).toMatch(/^invalid JSON: /);
  });

  it("refuses an array with a hint to use NDJSON", () => {
    expect(fatal(() => parseDocumentText("[1, 2]", "json", "a.json")).message).toMatch(/NDJSON/);
  });
});

describe("ndjson", () => {
  const text = [
    '{"id": "a", "title": "First", "body": "one"}',
    "",
    '{"id": "b", "title": "Second"',
    '["not", "an", "object"]',
    '{"title": "No id", "text": "three"}',
    '{"id": "a", "title": "Again"}',
  ].join("\n");

  it("reads the good lines and reports each bad one with its line number", () => {
    const parsed = parseDocumentText(text, "ndjson", "/data/r.ndjson");
    expect(parsed.documents.map((d) => [d.line, d.recordKey, d.title])).toEqual([
      [1, "id:a", "First"],
      [5, "line:5", "No id"],
    ]);
    expect(parsed.problems.map((p) => p.line)).toEqual([3, 4, 6]);
    expect(parsed.problems[0]!.reason).toMatch(/^invalid JSON/);
    expect(parsed.problems[1]!.reason).toMatch(/expected a JSON object/);
    expect(parsed.problems[2]!.reason).toBe("duplicate id:a (first on line 1)");
  });
});

describe("csv", () => {
  it("handles quotes, doubled quotes, embedded commas and line breaks", () => {
    const rows = [...csvRows('a,b\n"x, y","say ""hi""\nthere"\r\nlast,row\n', ",")];
    expect(rows).toEqual([
      { line: 1, fields: ["a", "b"] },
      { line: 2, fields: ["x, y", 'say "hi"\nthere'] },
      { line: 4, fields: ["last", "row"] },
    ]);
  });

  it("reports malformed rows with the line they start on and keeps the rest", () => {
    const text = [
      "id,title,body",
      '1,One,"multi',
      'line body"',
      "2,Two",
      '3,"Three" extra,body',
      '4,Fo"ur,body',
      "5,Five,fine",
    ].join("\n");
    const parsed = parseDocumentText(text, "csv", "/data/t.csv");
    expect(parsed.documents.map((d) => [d.line, d.recordKey, d.title, d.body])).toEqual([
      [2, "id:1", "One", "multi\nline body"],
      [7, "id:5", "Five", "fine"],
    ]);
    expect(parsed.problems).toEqual([
      { line: 4, reason: "expected 3 fields (as in the header), found 2" },
      { line: 5, reason: "unexpected text after a closing quote in field 2" },
      { line: 6, reason: "unexpected quote in unquoted field 2" },
    ]);
  });

  it("reports an unclosed quote at the row where it opens", () => {
    const parsed = parseDocumentText('id,title\n1,ok\n2,"never closed\n3,x\n', "csv", "t.csv");
    expect(parsed.documents).toHaveLength(1);
    expect(parsed.problems).toEqual([{ line: 3, reason: "a quoted field is never closed" }]);
  });

  it("uses other columns as metadata and builds a body when there is no body column", () => {
    const [doc] = parseDocumentText("name,city,zip\nAda,London,N1\n", "csv", "p.csv").documents;
    expect(doc).toMatchObject({ title: "Ada", recordKey: "line:2", body: "city: London\nzip: N1" });
    expect(doc!.metadata).toEqual({ city: "London", zip: "N1" });
  });

  it("refuses a header that repeats a column", () => {
    expect(fatal(() => parseDocumentText("a,b,A\n1,2,3\n", "csv", "t.csv")).line).toBe(1);
  });

  it("reads TSV with tabs", () => {
    const parsed = parseDocumentText("id\ttitle\n1\tTabbed, title\n", "tsv", "t.tsv");
    expect(parsed.documents[0]!.title).toBe("Tabbed, title");
  });
});

describe("files", () => {
  it("names the line of the first invalid UTF-8 byte", async () => {
    const file = join(dir, "latin1.txt");
    await Deno.writeFile(file, new Uint8Array([0x61, 0x0a, 0x62, 0x0a, 0xe9, 0x0a]));
    await expect(parseDocumentFile(file)).rejects.toMatchObject({
      name: "FileParseError",
      line: 3,
    });
  });

  it("refuses binary text files, missing files, unknown types and files over the limit", async () => {
    const bin = join(dir, "bin.txt");
    await Deno.writeFile(bin, new Uint8Array([0x61, 0x0a, 0x00, 0x01]));
    await expect(parseDocumentFile(bin)).rejects.toThrow(/binary content/);
    await expect(parseDocumentFile(join(dir, "missing.md"))).rejects.toThrow(/does not exist/);
    await expect(parseDocumentFile(join(dir, "x.pdf"))).rejects.toThrow(/unsupported file type/);
    const big = join(dir, "big.txt");
    await Deno.writeTextFile(big, "x".repeat(2000));
    await expect(parseDocumentFile(big, { maxBytes: 1000 })).rejects.toThrow(/more than the limit/);
  });

  it("strips a byte-order mark and NUL characters PostgreSQL cannot store", () => {
    const parsed = parseDocumentText('\ufeff{"title": "a\\u0000b", "body": "c"}', "json", "x.json");
    expect(parsed.documents[0]!.title).toBe("ab");
  });
});

describe("content hash", () => {
  it("is equal for equal content whatever the key order, and differs on any change", () => {
    const a = contentHash({ title: "t", body: "b", metadata: { x: 1, y: [1, { z: 2 }] } });
    const b = contentHash({ title: "t", body: "b", metadata: { y: [1, { z: 2 }], x: 1 } });
    expect(a).toBe(b);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(contentHash({ title: "t", body: "b!", metadata: { x: 1, y: [1, { z: 2 }] } })).not.toBe(
      a,
    );
  });
});
