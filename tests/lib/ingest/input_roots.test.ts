/**
 * The ingestor's input boundary without servers: the pure path checks, the
 * worker's check and open (a file swapped for a link after the check is
 * refused), and the boundary's trip through the worker's environment.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import {
  boundaryFromEnv,
  boundaryRefusal,
  boundaryToEnv,
  checkInputFile,
  type InputBoundary,
  InputRefusedError,
  isWithin,
  openCheckedInput,
  openInputFile,
  realFolderSync,
  walkable,
} from "../../../lib/ingest/input_roots.ts";
import { parseDocumentFile } from "../../../lib/ingest/parse_document_file.ts";

const paths: InputBoundary = {
  roots: ["/srv/state/ingestor/inbox", "/data/docs"],
  stateDir: "/srv/state",
  secretsDir: "/srv/state/secrets",
  backupDir: "/srv/backups",
};

describe("boundaryRefusal (pure)", () => {
  it("accepts files inside a root, the inbox inside the state folder included", () => {
    expect(boundaryRefusal("/data/docs/a.md", paths)).toBeUndefined();
    expect(boundaryRefusal("/data/docs/deep/b.csv", paths)).toBeUndefined();
    expect(boundaryRefusal("/srv/state/ingestor/inbox/c.md", paths)).toBeUndefined();
  });

  it("refuses files outside the roots, naming the roots", () => {
    expect(boundaryRefusal("/etc/shadow", paths)).toBe(
      "outside the input roots (/srv/state/ingestor/inbox, /data/docs)",
    );
    // a shared prefix is not a parent folder
    expect(boundaryRefusal("/data/docs2/a.md", paths)).toMatch(/^outside the input roots/);
    expect(boundaryRefusal("/data/docs", paths)).toBeUndefined();
  });

  it("refuses the secrets and backup folders even inside a root", () => {
    const wide = { ...paths, roots: ["/srv"] };
    expect(boundaryRefusal("/srv/state/secrets/redis-password", wide)).toBe(
      "inside the secrets folder /srv/state/secrets",
    );
    expect(boundaryRefusal("/srv/backups/postgres/x.md", wide)).toBe(
      "inside the backup folder /srv/backups",
    );
  });

  it("refuses the state folder unless a root lies inside it", () => {
    const wide = { ...paths, roots: ["/srv", "/srv/state/ingestor/inbox"] };
    expect(boundaryRefusal("/srv/state/postgres/data/pg_hba.conf", wide)).toBe(
      "inside the state folder /srv/state",
    );
    expect(boundaryRefusal("/srv/state/ingestor/inbox/a.md", wide)).toBeUndefined();
    expect(boundaryRefusal("/srv/other/a.md", wide)).toBeUndefined();
  });

  it("walks a folder inside a root, or one that holds a root, and no other", () => {
    expect(walkable("/data/docs/sub", paths)).toBe(true);
    expect(walkable("/srv/state", paths)).toBe(true); // holds the inbox
    expect(walkable("/srv/state/secrets", paths)).toBe(false);
    expect(walkable("/etc", paths)).toBe(false);
    expect(isWithin("/a/b", "/")).toBe(true);
    expect(isWithin("/a/bc", "/a/b")).toBe(false);
  });

  it("travels to the worker in its environment and is refused there when missing", () => {
    const env = boundaryToEnv(paths);
    expect(boundaryFromEnv((name) => env[name])).toEqual(paths);
    expect(() => boundaryFromEnv(() => undefined)).toThrow(
      /HAILMARY_INGESTOR_INPUT_ROOTS is not set/,
    );
    expect(() => boundaryFromEnv((n) => (n.endsWith("ROOTS") ? "docs" : "/x"))).toThrow(
      /must hold absolute paths, not "docs"/,
    );
  });
});

describe("the worker's check and open (real files)", () => {
  let top: string;
  let boundary: InputBoundary;
  let inbox: string;
  let outside: string;

  beforeAll(async () => {
    top = await Deno.realPath(await Deno.makeTempDir({ prefix: "input-roots-" }));
    inbox = join(top, "state", "ingestor", "inbox");
    outside = join(top, "outside");
    await Deno.mkdir(inbox, { recursive: true });
    await Deno.mkdir(outside);
    await Deno.mkdir(join(top, "state", "secrets"));
    await Deno.writeTextFile(join(outside, "secret.md"), "# Secret\n\nnever read\n");
    await Deno.writeTextFile(join(top, "state", "secrets", "redis-password"), "pw");
    boundary = {
      roots: [inbox],
      stateDir: join(top, "state"),
      secretsDir: join(top, "state", "secrets"),
      backupDir: join(top, "backups"),
    };
  });
  afterAll(async () => {
    await Deno.remove(top, { recursive: true });
  });

  it("opens a regular file in a root and reads it", async () => {
    await Deno.writeTextFile(join(inbox, "good.md"), "# Good\n\nfine\n");
    const parsed = await parseDocumentFile(join(inbox, "good.md"), { boundary });
    expect(parsed.documents[0]?.title).toBe("Good");
  });

  it("refuses a path outside the roots, a link out of them and a relative path", async () => {
    await expect(openInputFile(join(outside, "secret.md"), boundary)).rejects.toThrow(
      `refused: ${join(outside, "secret.md")}: outside the input roots (${inbox})`,
    );
    await Deno.symlink(join(outside, "secret.md"), join(inbox, "link.md"));
    await expect(parseDocumentFile(join(inbox, "link.md"), { boundary })).rejects.toThrow(
      `refused: ${join(inbox, "link.md")} (resolves to ${
        join(outside, "secret.md")
      }): outside the input roots`,
    );
    await Deno.symlink(join(top, "state", "secrets", "redis-password"), join(inbox, "pw.md"));
    await expect(openInputFile(join(inbox, "pw.md"), boundary)).rejects.toThrow(
      /inside the secrets folder/,
    );
    await expect(openInputFile("state/ingestor/inbox/good.md", boundary)).rejects.toThrow(
      /is not an absolute path/,
    );
  });

  it("refuses a FIFO without opening it (an open would wait for a writer)", async () => {
    const fifo = join(inbox, "pipe.md");
    const { code } = await new Deno.Command("mkfifo", { args: [fifo] }).output();
    expect(code).toBe(0);
    const began = Date.now();
    const error = await openInputFile(fifo, boundary).catch((e) => e);
    expect(error).toBeInstanceOf(InputRefusedError);
    expect(error.message).toBe(`refused: ${fifo}: a FIFO, not a regular file`);
    expect(Date.now() - began).toBeLessThan(2000);
  });

  it("refuses a file swapped for a link between the check and the open", async () => {
    const file = join(inbox, "swapped.md");
    await Deno.writeTextFile(file, "# Fine\n\nharmless\n");
    const checked = await checkInputFile(file, boundary);
    // the swap an attacker races for: the checked file becomes a link to a secret
    await Deno.remove(file);
    await Deno.symlink(join(outside, "secret.md"), file);
    const error = await openCheckedInput(checked).catch((e) => e);
    expect(error).toBeInstanceOf(InputRefusedError);
    expect(error.message).toBe(
      `refused: ${file}: the file changed between the check and the open (a symbolic link now)`,
    );
  });

  it("refuses a file replaced by another regular file after the check", async () => {
    const file = join(inbox, "replaced.md");
    await Deno.writeTextFile(file, "first");
    const checked = await checkInputFile(file, boundary);
    await Deno.writeTextFile(join(inbox, "other.tmp"), "second");
    await Deno.rename(join(inbox, "other.tmp"), file);
    await expect(openCheckedInput(checked)).rejects.toThrow(/changed between the check/);
    // unchanged, the same check opens it
    const again = await openCheckedInput(await checkInputFile(file, boundary));
    again.close();
  });

  it("resolves a root that does not exist yet through its existing parent", async () => {
    await Deno.symlink(inbox, join(top, "inbox-link"));
    expect(realFolderSync(join(top, "inbox-link", "later", "deeper"))).toBe(
      join(inbox, "later", "deeper"),
    );
  });
});
