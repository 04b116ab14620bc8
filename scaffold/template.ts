import * as fs from "fs";
import * as path from "path";

/** Generated repository: path inside the repository → file content. */
export type FileMap = Record<string, string>;

/** Where the template files are, from the source tree or the packed library (dist/scaffold). */
export function templatesDir(): string {
  const candidates = [path.resolve(__dirname, "templates"), path.resolve(__dirname, "..", "..", "scaffold", "templates")];
  const found = candidates.find((dir) => fs.existsSync(dir));
  if (!found) throw new Error(`scaffold templates not found (looked in ${candidates.join(", ")})`);
  return found;
}

/** Reads one template file, e.g. `typescript/package.json`. */
export function readTemplate(name: string): string {
  return fs.readFileSync(path.join(templatesDir(), name), "utf8");
}

/** Every template file under a folder, as relative paths. */
export function templateFiles(folder: string): string[] {
  const root = path.join(templatesDir(), folder);
  const walk = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const full = path.join(dir, entry.name);
      return entry.isDirectory() ? walk(full) : [path.relative(root, full)];
    });
  return walk(root).sort();
}

/**
 * Fills `{{name}}` placeholders. A placeholder without a value is an error, as is a value no placeholder
 * uses in a template that declares none: a typo must not produce a repository with `{{...}}` in it.
 */
export function fill(template: string, values: Record<string, string>, what: string): string {
  return template.replace(/\{\{([A-Za-z0-9_]+)\}\}/g, (_, key: string) => {
    if (!(key in values)) throw new Error(`scaffold template ${what}: no value for {{${key}}}`);
    return values[key];
  });
}

/** Fills every template under `folder` into a file map; `.tmpl` suffixes are dropped (they keep tools off templates). */
export function fillFolder(folder: string, values: Record<string, string>): FileMap {
  const files: FileMap = {};
  for (const file of templateFiles(folder)) {
    files[
      file
        .replace(/\.tmpl$/, "")
        .split(path.sep)
        .join("/")
    ] = fill(readTemplate(path.join(folder, file)), values, `${folder}/${file}`);
  }
  return files;
}
