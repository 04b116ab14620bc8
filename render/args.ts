/** Options shared by the render and the policy check command lines. */
export interface StackArgs {
  stack: string;
  appFile?: string;
  config: Record<string, string>;
  secrets: Record<string, string>;
  /** Flags the caller accepts beyond the shared ones, e.g. `--out`. */
  extra: Record<string, string>;
}

export const STACK_ARGS_USAGE = "--stack <stack> [--app <file>] [--config key=value]... [--secret key=value]...";

/** Parses the shared flags; `extraFlags` names further single-value flags the caller accepts. */
export function parseStackArgs(argv: readonly string[], extraFlags: readonly string[] = []): StackArgs {
  const result: StackArgs = { stack: "", config: {}, secrets: {}, extra: {} };
  const known = ["--stack", "--app", "--config", "--secret", ...extraFlags.map((f) => `--${f}`)];
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (!known.includes(flag)) throw new Error(`unknown argument "${flag}"; usage: ${STACK_ARGS_USAGE}${extraFlags.map((f) => ` [--${f} <value>]`).join("")}`);
    if (value === undefined || value.startsWith("--")) throw new Error(`${flag} needs a value`);
    i++;
    if (flag === "--stack") result.stack = value;
    else if (flag === "--app") result.appFile = value;
    else if (flag === "--config" || flag === "--secret") {
      const eq = value.indexOf("=");
      if (eq <= 0) throw new Error(`${flag} takes key=value, got "${value}"`);
      (flag === "--config" ? result.config : result.secrets)[value.slice(0, eq)] = value.slice(eq + 1);
    } else result.extra[flag.slice(2)] = value;
  }
  if (!result.stack) throw new Error(`--stack is required; usage: ${STACK_ARGS_USAGE}`);
  return result;
}
