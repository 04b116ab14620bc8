// Real PromQL evaluation with Prometheus' own promtool (Debian package `prometheus`, which .ci/run installs).
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify } from "yaml";

/** Where promtool is (PATH first, then Debian's /usr/bin), or undefined. */
export function findPromtool(): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(path.delimiter).filter(Boolean), "/usr/bin"];
  return dirs.map((d) => path.join(d, "promtool")).find((p) => fs.existsSync(p));
}

export const PROMTOOL_MISSING = "needs promtool (Debian package prometheus: apt-get install -y prometheus)";

export interface PromtoolResult {
  ok: boolean;
  output: string;
}

/** Runs promtool with files written into a fresh folder (removed afterwards); `args` name them by their keys. */
function run(promtool: string, files: Record<string, unknown>, args: (dir: string) => string[]): PromtoolResult {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promtool-"));
  try {
    for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), typeof content === "string" ? content : stringify(content));
    const r = spawnSync(promtool, args(dir), { cwd: dir, encoding: "utf8", timeout: 60_000 });
    return { ok: r.status === 0, output: `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? String(r.error) : ""}` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** `promtool check rules` on a rules file ({ groups: [...] }). */
export function checkRules(promtool: string, rules: unknown): PromtoolResult {
  return run(promtool, { "rules.yml": rules }, () => ["check", "rules", "rules.yml"]);
}

/** `promtool test rules` over unit tests (the `tests:` list of promtool's test file) against a rules file. */
export function testRules(promtool: string, rules: unknown, tests: unknown[], evaluationInterval = "1m"): PromtoolResult {
  return run(promtool, { "rules.yml": rules, "tests.yml": { rule_files: ["rules.yml"], evaluation_interval: evaluationInterval, tests } }, () => [
    "test",
    "rules",
    "tests.yml",
  ]);
}
