// Reads what the READMEs promise, so tests can hold them to it.
import * as fs from "fs";
import * as path from "path";

export const REPO = path.resolve(__dirname, "../..");

/** The first fenced code block after the line containing `marker` (an HTML comment naming the test). */
export function fencedBlockAfter(markdownFile: string, marker: string): string {
  const text = fs.readFileSync(markdownFile, "utf8");
  const at = text.indexOf(marker);
  if (at < 0) throw new Error(`${markdownFile}: no "${marker}"`);
  const block = /```[a-z]*\n([\s\S]*?)```/.exec(text.slice(at));
  if (!block) throw new Error(`${markdownFile}: no code block after "${marker}"`);
  return block[1];
}

/** The README's table of example Applications: each file with the stacks it renders in. */
export function exampleStacks(): Array<{ file: string; stacks: string[] }> {
  const text = fs.readFileSync(path.join(REPO, "README.md"), "utf8");
  const table = text.slice(text.indexOf("| example | stacks |"));
  const lines = table.split("\n").slice(2);
  const rows = lines.slice(
    0,
    lines.findIndex((line) => !line.startsWith("|")),
  );
  return rows.map((row) => {
    const [file, stacks] = row.split("|").slice(1, 3);
    return { file: /`([^`]+)`/.exec(file)![1], stacks: [...stacks.matchAll(/`([^`]+)`/g)].map((m) => m[1]) };
  });
}
