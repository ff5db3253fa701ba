/**
 * docs/plugins.md quotes real code: every ts and yaml block carries a
 * `<!-- quote: FILE -->` line naming a type-checked, tested file, and its
 * lines appear in that file as consecutive lines (indentation aside; a
 * `// ...` or `# ...` line separates excerpts, which appear in order).
 */
import assert from "node:assert/strict";

const DOC = "docs/plugins.md";
const text = await Deno.readTextFile(DOC);

interface Block {
  lang: string;
  quote: string | undefined;
  body: string[];
  line: number;
}

/** The fenced blocks of a markdown text, with the quote comment above each. */
export function fencedBlocks(md: string): Block[] {
  const lines = md.split("\n");
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^```(\w*)$/.exec(lines[i]);
    if (!m) continue;
    let p = i - 1; // deno fmt puts a blank line between the comment and the fence
    while (p > 0 && lines[p] === "") p--;
    const q = /^<!-- quote: (\S+) -->$/.exec(lines[p] ?? "");
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && lines[j] !== "```") body.push(lines[j++]);
    out.push({ lang: m[1], quote: q?.[1], body, line: i + 1 });
    i = j;
  }
  return out;
}

/** Index in `hay` after the first run of lines equal (trimmed) to `chunk`, from `from`, or -1. */
export function findRun(hay: string[], chunk: string[], from: number): number {
  const t = hay.map((l) => l.trim());
  const c = chunk.map((l) => l.trim());
  for (let i = from; i + c.length <= t.length; i++) {
    if (c.every((l, k) => t[i + k] === l)) return i + c.length;
  }
  return -1;
}

Deno.test("findRun finds consecutive lines and refuses a gap", () => {
  const hay = ["a", "  b", "c", "d"];
  assert.equal(findRun(hay, ["b", "c"], 0), 3);
  assert.equal(findRun(hay, ["a", "c"], 0), -1);
  assert.equal(findRun(hay, ["b"], 2), -1);
});

const blocks = fencedBlocks(text);

Deno.test("docs/plugins.md has quoted ts and yaml blocks", () => {
  const code = blocks.filter((b) => b.lang === "ts" || b.lang === "yaml");
  assert.ok(code.length >= 20, `${code.length} code blocks`);
  for (const b of code) {
    assert.ok(b.quote, `${DOC}:${b.line}: a ${b.lang} block without <!-- quote: FILE -->`);
  }
});

for (const b of blocks.filter((b) => b.quote)) {
  Deno.test(`docs/plugins.md:${b.line} quotes ${b.quote} verbatim`, async () => {
    const src = (await Deno.readTextFile(b.quote!)).split("\n");
    const chunks: string[][] = [[]];
    for (const l of b.body) {
      if (l.trim() === "// ..." || l.trim() === "# ...") chunks.push([]);
      else chunks[chunks.length - 1].push(l);
    }
    let at = 0;
    for (const chunk of chunks) {
      const next = findRun(src, chunk, at);
      assert.ok(next >= 0, `${DOC}:${b.line}: not in ${b.quote}:\n${chunk.join("\n")}`);
      at = next;
    }
  });
}
