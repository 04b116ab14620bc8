/** Pure detectors for credentials written in plain text. */

import { REDACTED } from "../../render/types";

/** Names that say "this is a secret": *_SECRET, *_PASSWORD, *_TOKEN, *_KEY and the like
 * (case-insensitive; `.` and `-` count as separators too, for ConfigMap keys). */
export const DEFAULT_SECRET_NAME_PATTERNS = ["(^|[_.-])(SECRET|PASSWORD|PASSWD|PWD|TOKEN|KEY|APIKEY|CREDENTIALS?)$", "(^|[_.-])PRIVATE[_.-]?KEY"];

// A password in a URL, unless it is a Kubernetes `$(VAR)` / shell `${VAR}` reference to another variable.
const URL_WITH_PASSWORD = /[a-z][a-z0-9+.-]*:\/\/[^\s/:@]*:([^\s/@]+)@/i;
const VARIABLE_REFERENCE = /^(\$\([A-Za-z_][A-Za-z0-9_]*\)|\$\{[A-Za-z_][A-Za-z0-9_]*\})$/;
const PEM_PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;
const AWS_ACCESS_KEY_ID = /\b(AKIA|ASIA)[0-9A-Z]{16}\b/;
// A single token of base64/url-safe characters: dots, colons and spaces excluded so hostnames, URLs,
// quantities and XML never qualify.
const TOKEN = /^[A-Za-z0-9+/=_-]+$/;
const MIN_TOKEN_LENGTH = 24;
const MIN_TOKEN_ENTROPY = 4.0;

/** Shannon entropy in bits per character. */
export function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/**
 * Why a value looks like a credential, or undefined. Multi-line text (BPMN XML, properties files) is only
 * searched for unambiguous shapes; the entropy test applies to a value that is one token as a whole, with
 * letters and digits mixed (hex digests and plain words stay below the threshold).
 */
export function credentialShape(value: string): string | undefined {
  const v = value.trim();
  if (v === REDACTED) return "it holds a Pulumi secret written inline";
  const url = URL_WITH_PASSWORD.exec(v);
  if (url && !VARIABLE_REFERENCE.test(url[1])) return "it is a URL with a password (user:password@)";
  if (PEM_PRIVATE_KEY.test(v)) return "it contains a PEM private key";
  if (AWS_ACCESS_KEY_ID.test(v)) return "it contains an AWS access key id";
  if (v.length >= MIN_TOKEN_LENGTH && TOKEN.test(v) && /[0-9]/.test(v) && /[A-Za-z]/.test(v) && entropy(v) >= MIN_TOKEN_ENTROPY) {
    return "it looks like a random token";
  }
  return undefined;
}

export interface NameRules {
  secretNamePatterns: string[];
  allowedNames: string[];
}

/**
 * Why a name=value pair carries a plain-text credential, or undefined. Names in `allowedNames` are never
 * reported; an empty value is no secret whatever its name.
 */
export function plaintextCredential(name: string, value: string, rules: NameRules): string | undefined {
  if (rules.allowedNames.includes(name) || value.trim() === "") return undefined;
  if (rules.secretNamePatterns.some((p) => new RegExp(p, "i").test(name))) {
    return "its name says it is a secret";
  }
  return credentialShape(value);
}
