// The suite's report: one row per scenario, then what went wrong and the figures worth knowing.
import type { ScenarioResult } from "./world";

export function passed(r: ScenarioResult): boolean {
  return r.lost === 0 && r.duplicates === 0 && r.outOfOrder === 0 && r.problems.length === 0;
}

export function renderTable(results: ScenarioResult[]): string {
  const header = ["scenario", "items", "sagas", "kills", "lost", "duplicate executions", "out-of-order undos", "same-key retries", "seconds", "result"];
  const rows = results.map((r) => [
    r.name,
    r.items.join(","),
    String(r.sagas),
    String(r.kills),
    String(r.lost),
    String(r.duplicates),
    String(r.outOfOrder),
    String(r.sameKeyRetries),
    r.seconds.toFixed(0),
    passed(r) ? "PASS" : "FAIL",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  const out = [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)];
  for (const r of results) {
    if (!passed(r)) out.push("", `${r.name} FAILED:`, ...r.details.map((d) => `  - ${d}`));
  }
  out.push(
    "",
    "every scenario also checks (item 15/16): no payload or database password in the worker's output or in failure messages sent to Zeebe, no unhandled rejection, no exit of its own",
  );
  const notes = results.filter((r) => r.notes.length > 0);
  if (notes.length > 0) out.push("", "figures:", ...notes.flatMap((r) => r.notes.map((n) => `  ${r.name}: ${n}`)));
  return out.join("\n");
}
