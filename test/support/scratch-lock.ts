import { createHash } from "crypto";
import * as fs from "fs";

/** One `packages` entry of an npm v3 lockfile (the fields this module reads). */
interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  optional?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [field: string]: unknown;
}

export interface Lockfile {
  name?: string;
  version?: string;
  lockfileVersion: number;
  requires?: boolean;
  packages: Record<string, LockEntry>;
}

/** `node_modules/a/node_modules/b` → itself, `node_modules/a`, then the root `""`: where Node looks up a dependency. */
function lookupDirs(location: string): string[] {
  const dirs: string[] = [];
  for (let current = location; ;) {
    dirs.push(current);
    if (current === "") return dirs;
    const cut = current.lastIndexOf("/node_modules/");
    current = cut >= 0 ? current.slice(0, cut) : "";
  }
}

/**
 * The lockfile of a project that installs the packed library beside a few of the repository's own
 * packages, built from the repository's lockfile: the same versions, `resolved` URLs and integrity
 * hashes, restricted to what the project needs.
 *
 * Why: without a lockfile, npm resolves every range through the registry's package documents
 * (packuments), and `npm install --offline` finds them in the cache only if an earlier install
 * requested them in the same form: npm asks for the abbreviated document, while this machine's cache
 * holds some packages' full documents only (ENOTCACHED for zod, color-name, @pulumi/pulumi). The
 * repository's lockfile omits `resolved` (`omit-lockfile-registry-resolved` in the npm config), and
 * then npm looks up the packument even with a lockfile. So every entry gets its registry tarball URL
 * back: with a URL and an integrity hash npm reads the tarball straight from the cache, which the
 * repository's own `npm ci` filled.
 */
export function scratchLockfile(options: {
  rootLock: Lockfile;
  /** The scratch project's root entry (name, version, dependencies, devDependencies). */
  root: LockEntry;
  /** Names of the repository's root-level packages the scratch project depends on, directly or through the library. */
  packages: readonly string[];
  /** The library, if any: its lockfile location (`node_modules/<name>`) and entry, e.g. a `file:` tarball. */
  library?: { location: string; entry: LockEntry };
  /** Registry base URL (`npm config get registry`), for entries without `resolved`. */
  registry: string;
}): Lockfile {
  const { rootLock } = options;
  const packages: Record<string, LockEntry> = { "": options.root, ...(options.library ? { [options.library.location]: options.library.entry } : {}) };
  const queue: string[] = [];
  const resolve = (from: string, name: string): string => {
    const found = lookupDirs(from)
      .map((dir) => `${dir ? dir + "/" : ""}node_modules/${name}`)
      .find((key) => rootLock.packages[key] !== undefined);
    if (!found) throw new Error(`the repository's lockfile has no ${name} reachable from ${from || "the root"}`);
    return found;
  };
  const add = (location: string) => {
    if (packages[location]) return;
    const entry = rootLock.packages[location];
    if (entry.link) throw new Error(`${location} is a workspace link, not a published package`);
    const { dev: _dev, devOptional: _devOptional, peer: _peer, ...kept } = entry;
    if (kept.resolved === undefined)
      kept.resolved = registryTarball(options.registry, typeof entry.name === "string" ? entry.name : packageNameAt(location), String(entry.version));
    if (kept.integrity === undefined) throw new Error(`${location}: the repository's lockfile has no integrity hash for it`);
    packages[location] = kept;
    queue.push(location);
  };
  for (const name of options.packages) add(resolve("", name));
  while (queue.length > 0) {
    const location = queue.shift()!;
    const entry = rootLock.packages[location];
    const required = [
      ...Object.keys(entry.dependencies ?? {}),
      ...Object.keys(entry.peerDependencies ?? {}).filter((name) => !entry.peerDependenciesMeta?.[name]?.optional),
    ];
    for (const name of required) add(resolve(location, name));
    // Optional dependencies the repository resolved (platform builds etc.) come along as they are.
    for (const name of Object.keys(entry.optionalDependencies ?? {})) {
      try {
        add(resolve(location, name));
      } catch {
        // Not in the repository's tree (another platform's build): npm skips it the same way.
      }
    }
  }
  return { name: String(options.root.name), version: String(options.root.version), lockfileVersion: 3, requires: true, packages };
}

/** `node_modules/a/node_modules/@s/b` → `@s/b`. */
function packageNameAt(location: string): string {
  return location.slice(location.lastIndexOf("node_modules/") + "node_modules/".length);
}

/** Where the registry serves a version's tarball: `<registry>/<name>/-/<name without scope>-<version>.tgz`. */
export function registryTarball(registry: string, name: string, version: string): string {
  const base = registry.endsWith("/") ? registry : registry + "/";
  return `${base}${name}/-/${name.slice(name.lastIndexOf("/") + 1)}-${version}.tgz`;
}

/** Subresource-integrity string of a file, as npm writes it for a tarball. */
export function integrityOf(file: string): string {
  return "sha512-" + createHash("sha512").update(fs.readFileSync(file)).digest("base64");
}
