/** Command line of the offline check, parsed without side effects. */
export interface CheckArgs {
  stack: string;
  appFile?: string;
  /** `--config key=value` overrides; the render puts keys without a namespace under camunda-orchestrator. */
  config: Record<string, string>;
  secrets: Record<string, string>;
  policyConfigFile?: string;
}

export const USAGE =
  "usage: npm run policy -- --stack <stack> [--app <file>] [--config key=value]... [--secret key=value]... " +
  "[--policy-config <file.json>]";

function keyValue(flag: string, raw: string): [string, string] {
  const eq = raw.indexOf("=");
  if (eq <= 0) throw new Error(`${flag} expects key=value, got "${raw}"`);
  return [raw.slice(0, eq), raw.slice(eq + 1)];
}

/** Parses `argv` (without node and script); throws an Error whose message says what is wrong. */
export function parseCheckArgs(argv: string[]): CheckArgs {
  const result: CheckArgs = { stack: "", config: {}, secrets: {} };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (!["--stack", "--app", "--config", "--secret", "--policy-config"].includes(flag)) {
      throw new Error(`unknown argument "${flag}"`);
    }
    if (value === undefined || value.startsWith("--")) throw new Error(`${flag} needs a value`);
    i++;
    if (flag === "--stack") result.stack = value;
    else if (flag === "--app") result.appFile = value;
    else if (flag === "--policy-config") result.policyConfigFile = value;
    else {
      const [k, v] = keyValue(flag, value);
      (flag === "--config" ? result.config : result.secrets)[k] = v;
    }
  }
  if (!result.stack) throw new Error("--stack is required");
  return result;
}
