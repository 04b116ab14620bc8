import * as fs from "fs";
import * as path from "path";

/** Every file under `dir`, recursively, as paths relative to it. */
export function listFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? listFiles(full).map((f) => path.join(entry.name, f)) : [entry.name];
  });
}

/** Decoded text of every base64-looking token: a Secret's `data` would hide a value this way. */
function base64Decodings(text: string): string[] {
  return (text.match(/[A-Za-z0-9+/]{12,}={0,2}/g) ?? []).map((token) => Buffer.from(token, "base64").toString("latin1"));
}

/**
 * Where any of `needles` occurs in the files under `dir`, in plain text or base64-encoded:
 * `<file>: <needle>` per finding.
 */
export function findInFiles(dir: string, needles: readonly string[]): string[] {
  const findings: string[] = [];
  for (const file of listFiles(dir)) {
    const text = fs.readFileSync(path.join(dir, file), "utf8");
    const decoded = base64Decodings(text);
    for (const needle of needles) {
      if (text.includes(needle)) findings.push(`${file}: ${needle}`);
      else if (decoded.some((d) => d.includes(needle))) findings.push(`${file}: ${needle} (base64)`);
    }
  }
  return findings;
}
