// JSON values the worker cannot carry, found by path (never by value: values may be personal data).
import { getUnsafeNumberReason, isLosslessNumber, parse } from "lossless-json";

/** Where in a value a string or key holds what PostgreSQL text and jsonb cannot store. */
export interface UnstorableString {
  path: string;
  /** "U+0000" (NUL) or "a lone UTF-16 surrogate". */
  what: string;
}

const NUL = "\u0000";
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function child(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? (path ? `${path}.${key}` : key) : `${path}[${JSON.stringify(key.replace(/\u0000/g, "\\u0000"))}]`;
}

function badString(s: string): string | undefined {
  if (s.includes(NUL)) return "U+0000";
  if (LONE_SURROGATE.test(s)) return "a lone UTF-16 surrogate";
  return undefined;
}

/** PostgreSQL refuses U+0000 in text and jsonb, and jsonb refuses unpaired surrogates: list where they are. */
export function unstorableStrings(value: unknown, max = 5): UnstorableString[] {
  const found: UnstorableString[] = [];
  const walk = (v: unknown, path: string): void => {
    if (found.length >= max) return;
    if (typeof v === "string") {
      const what = badString(v);
      if (what) found.push({ path: path || "(the whole value)", what });
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => walk(item, child(path, i)));
    } else if (v !== null && typeof v === "object") {
      for (const [k, item] of Object.entries(v)) {
        const what = badString(k);
        if (what) found.push({ path: `${child(path, k)} (its name)`, what });
        walk(item, child(path, k));
      }
    }
  };
  walk(value, "");
  return found;
}

export function describeUnstorable(found: UnstorableString[]): string {
  const kinds = [...new Set(found.map((f) => f.what))].join(" or ");
  return `PostgreSQL cannot store ${kinds} (at ${found.map((f) => f.path).join(", ")})`;
}

// A number needs exact handling only with 16+ significant digits or an exponent; this cheap scan of the
// raw text lets the usual job skip the full lossless parse (it may match inside strings: harmless).
const MAYBE_UNSAFE_NUMBER = /[0-9.]{16,}|[0-9][eE][+-]?[0-9]/;

/** Paths of numbers in a JSON text that a JavaScript number cannot hold exactly (as the SDK's lossless parser judges). */
export function unsafeNumberPaths(json: string, max = 5): string[] {
  if (!MAYBE_UNSAFE_NUMBER.test(json)) return [];
  const found: string[] = [];
  const walk = (v: unknown, path: string): void => {
    if (found.length >= max) return;
    if (isLosslessNumber(v)) {
      if (getUnsafeNumberReason(v.value)) found.push(path || "(the whole value)");
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => walk(item, child(path, i)));
    } else if (v !== null && typeof v === "object") {
      for (const [k, item] of Object.entries(v)) walk(item, child(path, k));
    }
  };
  walk(parse(json), "");
  return found;
}
