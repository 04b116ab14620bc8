// Credentials never reach a log line, an error message or a job's failure message. One helper for
// every text that may embed a URL: configuration errors, errors of pg / ioredis / kafkajs / fetch
// (which quote URLs and hosts), readiness answers, logs.

// scheme://userinfo@ — greedy up to the last "@" of the token, so a password holding an unencoded
// "@" or "/" is still covered (over-redacting a path that holds "@" is the safe mistake).
const USERINFO = /([a-z][a-z0-9+.-]*:\/\/)([^\s"'<>`]*)@/gi;
// Query or keyword parameters that carry secrets (?password=, &sslpassword=, access_token=, ...).
const SECRET_PARAM =
  /((?:^|[?&;\s])(?:password|passwd|pwd|pass|secret|client_secret|token|access_token|refresh_token|id_token|api[_-]?key|key|sig|signature|auth|authorization|credentials?|sslpassword|sslkey)=)[^&;#\s"'<>`]*/gim;
// V8 quotes the start of an unparsable JSON text: `Unexpected token 'x', "{"card":"4111..." is not valid JSON`.
const JSON_SNIPPET = /(Unexpected token .{1,8}?, )".*" is not valid JSON/gs;

export const REDACTED = "***";

/** Returns text with URL credentials, secret-looking parameters and quoted JSON input masked. */
export function redact(text: string): string {
  return text
    .replace(USERINFO, (_m, scheme: string, info: string) => {
      const colon = info.indexOf(":");
      const user = colon > 0 ? info.slice(0, colon) : "";
      // Keep a plain user name (it says which role); anything else in the userinfo goes.
      return /^[\w.%-]+$/.test(user) ? `${scheme}${user}:${REDACTED}@` : `${scheme}${REDACTED}@`;
    })
    .replace(SECRET_PARAM, `$1${REDACTED}`)
    .replace(JSON_SNIPPET, `$1"${REDACTED}" is not valid JSON`);
}

const MAX_ERROR_TEXT = 1000;

/**
 * One line describing an error, safe to log or to hand to Zeebe: its message (and code), redacted
 * and bounded. Never the error's other fields: drivers attach request arguments, rows and inputs
 * to their errors (ioredis `command.args`, pg `where`/`detail`, URL errors' `input`).
 */
export function errorText(err: unknown): string {
  const e = err as { code?: unknown } | undefined;
  let text = err instanceof Error ? String(err) : typeof err === "string" ? err : safeString(err);
  if (typeof e?.code === "string" && !text.includes(e.code)) text += ` [${e.code}]`;
  text = redact(text);
  return text.length > MAX_ERROR_TEXT ? `${text.slice(0, MAX_ERROR_TEXT)}… (${text.length} chars)` : text;
}

function safeString(v: unknown): string {
  try {
    return String(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}
