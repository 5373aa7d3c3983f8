/**
 * Generates a corpus for the ingestion tests and benchmark: Markdown, text,
 * JSON, NDJSON and CSV files with known counts, some records and files
 * malformed on purpose, and one document with words found nowhere else.
 */
import { join } from "../../lib/posix_path.ts";

/** What a generated corpus holds. */
export interface Corpus {
  dir: string;
  /** Files written (all readable types). */
  files: number;
  /** Documents that must end up stored. */
  documents: number;
  /** Malformed records and broken files (each counted once in `failed`). */
  failed: number;
  /** Files that fail as a whole. */
  failedFiles: number;
  /** Every `file:line` that must be reported (line 0 when the file has no line). */
  failures: { file: string; line: number }[];
  /** A document to search for: its unique words and exact title. */
  known: { query: string; title: string; file: string };
}

const words = (
  "river stone lantern harbor meadow signal copper orchard thunder velvet canyon ember " +
  "glacier compass falcon mosaic prairie quartz saddle timber violet willow beacon cobalt " +
  "dune fjord garnet hollow island juniper kelp lagoon marble nectar oasis pebble quiver"
).split(" ");

/** A small deterministic PRNG (mulberry32), so a corpus is the same on every run. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` random words. */
export function sentence(rand: () => number, n: number): string {
  return Array.from({ length: n }, () => words[Math.floor(rand() * words.length)]!).join(" ");
}

/**
 * Writes a mixed corpus into `dir`: `perKind` Markdown, text and JSON files,
 * `recordFiles` NDJSON and CSV files of `recordsPerFile` records each.
 * Malformed: one Markdown file with broken front matter, two JSON files
 * with syntax errors, one bad line in every NDJSON file and one bad row in
 * every CSV file.
 */
export async function writeCorpus(
  dir: string,
  options: {
    perKind?: number;
    recordFiles?: number;
    recordsPerFile?: number;
    seed?: number;
    /** Write the known document (false: one search corpus per stack, so its hit is unique). */
    known?: boolean;
  } = {},
): Promise<Corpus> {
  const perKind = options.perKind ?? 300;
  const recordFiles = options.recordFiles ?? 10;
  const perFile = options.recordsPerFile ?? 200;
  const rand = random(options.seed ?? 42);
  await Deno.mkdir(join(dir, "md"), { recursive: true });
  await Deno.mkdir(join(dir, "txt"), { recursive: true });
  await Deno.mkdir(join(dir, "json"), { recursive: true });
  await Deno.mkdir(join(dir, "records"), { recursive: true });
  const corpus: Corpus = {
    dir,
    files: 0,
    documents: 0,
    failed: 0,
    failedFiles: 0,
    failures: [],
    known: { query: "", title: "", file: "" },
  };
  const write = async (path: string, text: string) => {
    await Deno.writeTextFile(path, text);
    corpus.files++;
  };
  for (let i = 0; i < perKind; i++) {
    const md = join(dir, "md", `note-${i}.md`);
    if (i === 7) {
      await write(md, `---\ntitle: [unclosed\n---\nbody\n`);
      corpus.failed++;
      corpus.failedFiles++;
      corpus.failures.push({ file: md, line: 2 });
    } else if (i === 11 && options.known !== false) {
      corpus.known = {
        query: "xylophonic quasar",
        title: "Xylophonic quasar field guide",
        file: md,
      };
      await write(
        md,
        `---\ntitle: Xylophonic quasar field guide\ntags: [known]\n---\n# Guide\n\nThe xylophonic quasar hums <b>softly</b> & never sleeps.\n`,
      );
      corpus.documents++;
    } else {
      await write(
        md,
        `---\ntitle: Note ${i} ${sentence(rand, 3)}\nauthor: writer-${
          i % 17
        }\n---\n# Note ${i}\n\n${sentence(rand, 40)}\n`,
      );
      corpus.documents++;
    }
    await write(
      join(dir, "txt", `page-${i}.txt`),
      `Page ${i} ${sentence(rand, 4)}\n${sentence(rand, 60)}\n`,
    );
    corpus.documents++;
    const json = join(dir, "json", `item-${i}.json`);
    if (i === 3 || i === 4) {
      await write(json, `{\n  "title": "broken ${i}",\n  "body": "x" "y"\n}\n`);
      corpus.failed++;
      corpus.failedFiles++;
      corpus.failures.push({ file: json, line: 3 });
    } else {
      await write(
        json,
        JSON.stringify({
          title: `Item ${i} ${sentence(rand, 3)}`,
          body: sentence(rand, 50),
          rank: i,
        }),
      );
      corpus.documents++;
    }
  }
  for (let f = 0; f < recordFiles; f++) {
    const nd = join(dir, "records", `batch-${f}.ndjson`);
    const lines: string[] = [];
    const bad = 5 + (f % 7);
    for (let r = 0; r < perFile; r++) {
      if (r === bad) {
        lines.push(`{"id": "broken-${f}", "title": `);
        corpus.failed++;
        corpus.failures.push({ file: nd, line: r + 1 });
      } else {
        lines.push(
          JSON.stringify({
            id: `${f}-${r}`,
            title: `Record ${f}-${r} ${sentence(rand, 2)}`,
            body: sentence(rand, 25),
            source: "ndjson",
          }),
        );
        corpus.documents++;
      }
    }
    await write(nd, lines.join("\n") + "\n");
    const csv = join(dir, "records", `table-${f}.csv`);
    const rows = ["id,title,body,category"];
    const badRow = 9 + (f % 5);
    for (let r = 0; r < perFile; r++) {
      if (r === badRow) {
        rows.push(`${f}-${r},"unterminated ${r}" junk,x,y`);
        corpus.failed++;
        corpus.failures.push({ file: csv, line: rows.length });
      } else {
        rows.push(
          `${f}-${r},"Row ${f}-${r}, ${sentence(rand, 2)}","${sentence(rand, 20)} ""quoted""",cat-${
            r % 9
          }`,
        );
        corpus.documents++;
      }
    }
    await write(csv, rows.join("\n") + "\n");
  }
  await Deno.writeTextFile(join(dir, "README.bin"), "not a document type");
  return corpus;
}
