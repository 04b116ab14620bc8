// The command line shared by `npm run render` and `npm run policy`, parsed with node's util.parseArgs.
import * as path from "path";
import { parseArgs } from "util";
import { InputError } from "./errors";

/** One command: its npm script name and the options it has besides the shared ones. */
export interface CommandSpec {
  name: "render" | "policy";
  /** What the command does, for `--help`. */
  summary: string;
  /** Further options taking a path, by name: what the value is and what the option does. */
  pathOptions: Record<string, { value: string; help: string }>;
  /** Exit codes this command uses (render/errors.ts, EXIT), with their meaning for it. */
  exitCodes: Array<[code: number, meaning: string]>;
  examples: string[];
}

/** Where one secret comes from; values never travel further than {@link resolveInputs}. */
export type SecretSource =
  { key: string; from: "argument"; value: string } | { key: string; from: "env"; variable: string } | { key: string; from: "file"; file: string };

/** The parsed command line; paths are absolute (resolved against the folder the user ran npm from). */
export interface CommandLine {
  help: boolean;
  stack: string;
  appFile?: string;
  config: Record<string, string>;
  secretSources: SecretSource[];
  /** `pulumi config --show-secrets --json` output: a file, or "-" for standard input. */
  pulumiConfig?: string;
  stackOutputs?: string;
  /** The command's own path options, by name. */
  paths: Record<string, string>;
  /** Things the user should know, e.g. a secret given as an argument. */
  warnings: string[];
}

const SHARED_OPTIONS: Array<[flag: string, help: string]> = [
  ["--stack <name>", "the stack: its config comes from Pulumi.<name>.yaml (required)"],
  ["--app <file>", "an OAM Application file, instead of the stack's `application`"],
  ["--config <key>=<value>", "set a config key (repeatable); a key without a namespace belongs to camunda-orchestrator"],
  ["--secret-env <key>=<VAR>", "take a secret config key from environment variable VAR (repeatable)"],
  ["--secret-file <key>=<file>", "take a secret config key from a file, one trailing newline dropped; - for standard input (repeatable)"],
  ["--pulumi-config <file>", "take config and secrets from the output of `pulumi config --show-secrets --json`; - for standard input"],
  ["--secret <key>=<value>", "a secret on the command line: npm echoes it, ps and shell history keep it (warned; avoid)"],
  ["--stack-outputs <file>", 'outputs of referenced stacks, answering StackReferences: { "<stack>": { "<output>": value } }'],
];

/** The text `--help` prints. */
export function usage(spec: CommandSpec): string {
  const options: Array<[string, string]> = [
    ...SHARED_OPTIONS,
    ...Object.entries(spec.pathOptions).map(([name, o]): [string, string] => [`--${name} <${o.value}>`, o.help]),
    ["-h, --help", "print this help"],
  ];
  const width = Math.max(...options.map(([flag]) => flag.length));
  return [
    `Usage: npm run ${spec.name} -- --stack <name> [options]`,
    "",
    spec.summary,
    "",
    "Options (also as --option=value):",
    ...options.map(([flag, help]) => `  ${flag.padEnd(width)}  ${help}`),
    "",
    "Relative paths are taken from the folder you run npm in. Secrets never belong on the command line:",
    "prefer --secret-env, --secret-file or --pulumi-config.",
    "",
    "Exit codes:",
    ...spec.exitCodes.map(([code, meaning]) => `  ${code}  ${meaning}`),
    "",
    "Examples:",
    ...spec.examples.map((example) => `  ${example}`),
  ].join("\n");
}

/**
 * The folder relative paths are taken from. `npm run` starts scripts in the project root and passes the
 * folder the user ran it in as INIT_CWD; started any other way, the current folder.
 */
export function invocationDir(env: NodeJS.ProcessEnv, cwd: string, script: string): string {
  return env.npm_lifecycle_event === script && env.INIT_CWD ? env.INIT_CWD : cwd;
}

/** Parses the arguments of `spec`'s command; throws an InputError (exit 2) that names the problem and points at --help. */
export function parseCommandLine(argv: readonly string[], spec: CommandSpec, baseDir: string): CommandLine {
  const options = {
    help: { type: "boolean", short: "h" },
    stack: { type: "string" },
    app: { type: "string" },
    config: { type: "string", multiple: true },
    secret: { type: "string", multiple: true },
    "secret-env": { type: "string", multiple: true },
    "secret-file": { type: "string", multiple: true },
    "pulumi-config": { type: "string" },
    "stack-outputs": { type: "string" },
    ...Object.fromEntries(Object.keys(spec.pathOptions).map((name) => [name, { type: "string" }])),
  } as const;
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    values = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new InputError(`${(error as Error).message}\nRun \`npm run ${spec.name} -- --help\` for the options.`);
  }
  const resolvePath = (value: string) => (value === "-" ? value : path.resolve(baseDir, value));
  const line: CommandLine = {
    help: values.help === true,
    stack: "",
    config: {},
    secretSources: [],
    paths: {},
    warnings: [],
  };
  if (line.help) return line;

  const stack = values.stack as string | undefined;
  if (!stack) throw new InputError(`--stack is required, e.g. --stack dev\nRun \`npm run ${spec.name} -- --help\` for the options.`);
  line.stack = stack;
  if (values.app !== undefined) line.appFile = resolvePath(values.app as string);
  if (values["stack-outputs"] !== undefined) line.stackOutputs = resolvePath(values["stack-outputs"] as string);
  if (values["pulumi-config"] !== undefined) line.pulumiConfig = resolvePath(values["pulumi-config"] as string);
  for (const name of Object.keys(spec.pathOptions)) {
    if (values[name] !== undefined) line.paths[name] = resolvePath(values[name] as string);
  }
  for (const pair of (values.config as string[] | undefined) ?? []) {
    const [key, value] = keyValue("--config", pair, "<key>=<value>");
    line.config[key] = value;
  }
  const secretKeys = new Set<string>();
  const addSecret = (source: SecretSource, flag: string) => {
    if (secretKeys.has(source.key)) throw new InputError(`${flag}: secret "${source.key}" is given more than once`);
    secretKeys.add(source.key);
    line.secretSources.push(source);
  };
  for (const pair of (values.secret as string[] | undefined) ?? []) {
    const [key, value] = keyValue("--secret", pair, "<key>=<value>", false);
    addSecret({ key, from: "argument", value }, "--secret");
    line.warnings.push(
      `--secret ${key}=… puts a secret on the command line, where npm echoes it and ps, shell history and CI logs keep it; ` +
        `use --secret-env ${key}=<VARIABLE>, --secret-file ${key}=<file> or --pulumi-config - instead`,
    );
  }
  for (const pair of (values["secret-env"] as string[] | undefined) ?? []) {
    const [key, variable] = keyValue("--secret-env", pair, "<key>=<ENVIRONMENT_VARIABLE>", false);
    addSecret({ key, from: "env", variable }, "--secret-env");
  }
  for (const pair of (values["secret-file"] as string[] | undefined) ?? []) {
    const [key, file] = keyValue("--secret-file", pair, "<key>=<file>", false);
    addSecret({ key, from: "file", file: resolvePath(file) }, "--secret-file");
  }
  const fromStdin = [
    ...line.secretSources.filter((s) => s.from === "file" && s.file === "-").map((s) => `--secret-file ${s.key}=-`),
    ...(line.pulumiConfig === "-" ? ["--pulumi-config -"] : []),
  ];
  if (fromStdin.length > 1) throw new InputError(`only one option can read standard input, got ${fromStdin.join(" and ")}`);
  return line;
}

/** Splits `key=value`; the key must be a config key, the value non-empty unless `allowEmpty`. */
function keyValue(flag: string, pair: string, shape: string, allowEmpty = true): [string, string] {
  const eq = pair.indexOf("=");
  const key = eq > 0 ? pair.slice(0, eq) : "";
  if (!/^[A-Za-z0-9_.:-]+$/.test(key)) {
    // Never echo what follows the `=`: it may be a secret.
    throw new InputError(
      `${flag} takes ${shape}, got "${eq >= 0 ? `${pair.slice(0, eq)}=…` : pair}"; a key is letters, digits, '_', '.', '-', with an optional "namespace:"`,
    );
  }
  const value = pair.slice(eq + 1);
  if (!allowEmpty && value === "") throw new InputError(`${flag} ${key}=: the value is empty`);
  return [key, value];
}
