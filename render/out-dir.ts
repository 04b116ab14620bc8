// The render's output folder: it never deletes or overwrites what the render did not write.
// A marker file in the folder lists every file the last render wrote; only those are replaced.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { InputError } from "./errors";

/** Name of the marker file: a folder holding it is a render's. */
export const MARKER = ".camunda-orchestrator-render.json";

interface Marker {
  writtenBy: "camunda-orchestrator render";
  stack: string;
  /** Files the render wrote, relative to the folder, `/`-separated. */
  files: string[];
}

/** What is in the folder now: the files a previous render wrote, or null when it is new or empty. */
function previousRender(outDir: string): Set<string> | null {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(outDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new InputError(`--out ${outDir}: cannot use it (${(error as NodeJS.ErrnoException).code})`);
  }
  if (!stat.isDirectory()) throw new InputError(`--out ${outDir}: is a file, not a folder`);
  const markerFile = path.join(outDir, MARKER);
  if (!fs.existsSync(markerFile)) {
    const entries = fs.readdirSync(outDir);
    if (entries.length === 0) return null;
    const shown = entries.slice(0, 5).join(", ") + (entries.length > 5 ? `, … (${entries.length} entries)` : "");
    throw new InputError(
      `--out ${outDir}: the folder is not empty (${shown}) and holds no render (no ${MARKER}). The render never deletes or ` +
        `overwrites what it did not write: choose a new or empty folder, or the folder of an earlier render. ` +
        `(A render made before the marker existed: remove that folder yourself.)`,
    );
  }
  return new Set(readMarker(markerFile));
}

/** The marker's file list, each entry checked to stay inside the folder: a damaged marker deletes nothing. */
function readMarker(markerFile: string): string[] {
  const refuse = (why: string) =>
    new InputError(`${markerFile}: ${why}; the render will not delete anything on its word. Remove the folder yourself, or choose another --out`);
  let marker: Partial<Marker>;
  try {
    marker = JSON.parse(fs.readFileSync(markerFile, "utf8")) as Partial<Marker>;
  } catch {
    throw refuse("not valid JSON");
  }
  if (!Array.isArray(marker.files) || !marker.files.every((f) => typeof f === "string")) throw refuse('has no "files" list');
  for (const file of marker.files) {
    const normal = path.posix.normalize(file);
    if (file === "" || normal !== file || path.isAbsolute(file) || normal.startsWith("../") || normal === ".." || file === MARKER) {
      throw refuse(`lists "${file}", which is not a file inside the folder`);
    }
  }
  return marker.files;
}

/** Every regular file under `dir`, relative and `/`-separated. */
function filesUnder(dir: string, prefix = ""): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    return entry.isDirectory() ? filesUnder(path.join(dir, entry.name), relative) : [relative];
  });
}

/** Where a file of ours would land on something else: a folder, or a file of the user's on its path. */
function blockedBy(outDir: string, file: string, ours: ReadonlySet<string>): string | undefined {
  const parts = file.split("/");
  for (let i = 1; i <= parts.length; i++) {
    const relative = parts.slice(0, i).join("/");
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(path.join(outDir, relative));
    } catch {
      return undefined; // nothing there yet
    }
    const isLast = i === parts.length;
    if (!isLast && !stat.isDirectory()) return relative;
    if (isLast && (stat.isDirectory() || !ours.has(relative))) return relative;
  }
  return undefined;
}

function writeMarker(outDir: string, marker: Marker): void {
  // Written aside and renamed, so a crash leaves the old marker or the new one, never half of one.
  const file = path.join(outDir, MARKER);
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(marker, null, 2) + "\n");
  fs.renameSync(`${file}.tmp`, file);
}

/** Fails (InputError) if the render may not write to `outDir`; changes nothing. */
export function checkOutDir(outDir: string): void {
  previousRender(outDir);
}

/**
 * Writes a render into `outDir`: `write` fills an empty staging folder, then the files of the previous
 * render that this one does not write again are removed, the new files copied in, and the marker updated.
 * Files the render did not write are left alone; where a new file would overwrite one, nothing is written.
 * Before anything changes, the marker lists old and new files together, so that a crash in between leaves
 * no file of ours unlisted.
 */
export function writeIntoOutDir(outDir: string, stack: string, write: (stagingDir: string) => void): { written: string[]; removed: string[] } {
  const previous = previousRender(outDir) ?? new Set<string>();
  const staging = fs.mkdtempSync(path.join(os.tmpdir(), "render-staging-"));
  try {
    write(staging);
    const files = filesUnder(staging).sort();
    const blocked = files.map((f) => blockedBy(outDir, f, previous)).filter((b): b is string => b !== undefined);
    if (blocked.length > 0) {
      throw new InputError(
        `--out ${outDir}: the render would overwrite ${blocked.map((b) => `"${b}"`).join(", ")}, which an earlier render did not write; nothing was written. Move ${blocked.length > 1 ? "them" : "it"} away, or choose another --out`,
      );
    }
    fs.mkdirSync(outDir, { recursive: true });
    writeMarker(outDir, { writtenBy: "camunda-orchestrator render", stack, files: [...new Set([...previous, ...files])].sort() });
    const current = new Set(files);
    const removed = [...previous].filter((f) => !current.has(f)).sort();
    for (const file of removed) removeOurs(outDir, file);
    for (const file of files) {
      fs.mkdirSync(path.dirname(path.join(outDir, file)), { recursive: true });
      fs.copyFileSync(path.join(staging, file), path.join(outDir, file));
    }
    writeMarker(outDir, { writtenBy: "camunda-orchestrator render", stack, files });
    return { written: files, removed };
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/** Removes one file of an earlier render, then the folders it leaves empty (never the output folder itself). */
function removeOurs(outDir: string, file: string): void {
  const target = path.join(outDir, file);
  try {
    if (fs.lstatSync(target).isDirectory()) return; // a folder now stands there: not ours to remove
    fs.unlinkSync(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  for (let dir = path.dirname(target); dir !== outDir && dir.startsWith(outDir + path.sep); dir = path.dirname(dir)) {
    try {
      fs.rmdirSync(dir);
    } catch {
      return; // not empty: a file of the user's, or of this render, remains
    }
  }
}
