// Reads what the command line points at: secrets from the environment, files or standard input, and
// the outputs of referenced stacks. Messages never quote a secret's value.
import * as fs from "fs";
import { CommandLine } from "./args";
import { InputError } from "./errors";
import { qualifyKey } from "./stack-file";

export interface InputIO {
  env: NodeJS.ProcessEnv;
  readFile(file: string): string;
  readStdin(): string;
}

export const processIO: InputIO = {
  env: process.env,
  readFile: (file) => fs.readFileSync(file, "utf8"),
  readStdin: () => fs.readFileSync(0, "utf8"),
};

export interface ResolvedInputs {
  /** Config overrides by full key (`namespace:key`): from `--pulumi-config` (plain entries), then `--config`, which wins. */
  config: Record<string, string>;
  /** Secret config overrides: from `--pulumi-config` (secret entries), then the per-key options, which win. */
  secrets: Record<string, string>;
  stackOutputs?: Record<string, Record<string, unknown>>;
}

export function resolveInputs(line: CommandLine, io: InputIO): ResolvedInputs {
  const read = (file: string, option: string) => {
    try {
      return file === "-" ? io.readStdin() : io.readFile(file);
    } catch (error) {
      throw new InputError(
        `${option}: cannot read ${file === "-" ? "standard input" : file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      );
    }
  };
  const fromPulumi = line.pulumiConfig === undefined ? { config: {}, secrets: {} } : pulumiConfig(read(line.pulumiConfig, "--pulumi-config"));
  const secrets: Record<string, string> = { ...fromPulumi.secrets };
  for (const source of line.secretSources) {
    let value: string;
    if (source.from === "argument") value = source.value;
    else if (source.from === "env") {
      const fromEnv = io.env[source.variable];
      if (fromEnv === undefined) throw new InputError(`--secret-env ${source.key}=${source.variable}: environment variable ${source.variable} is not set`);
      value = fromEnv;
    } else {
      // Files written by `echo` or an editor end in a newline that is not part of the secret.
      value = read(source.file, `--secret-file ${source.key}`).replace(/\r?\n$/, "");
    }
    if (value === "") throw new InputError(`secret "${source.key}" (${describe(source)}) is empty`);
    secrets[qualifyKey(source.key)] = value;
  }
  const config: Record<string, string> = { ...fromPulumi.config };
  for (const [key, value] of Object.entries(line.config)) config[qualifyKey(key)] = value;
  return {
    config,
    secrets,
    stackOutputs: line.stackOutputs === undefined ? undefined : stackOutputs(read(line.stackOutputs, "--stack-outputs"), line.stackOutputs),
  };
}

function describe(source: CommandLine["secretSources"][number]): string {
  return source.from === "argument"
    ? "--secret"
    : source.from === "env"
      ? `environment variable ${source.variable}`
      : source.file === "-"
        ? "standard input"
        : source.file;
}

const PULUMI_CONFIG_HINT = 'it takes the output of `pulumi config --show-secrets --json`: { "<namespace>:<key>": { "value": "...", "secret": true|false } }';

/**
 * Config as `pulumi config --show-secrets --json` prints it (the shape the Automation API's
 * `getAllConfig` reads): `{ "<namespace>:<key>": { "value": string, "secret": boolean, "objectValue"?: ... } }`.
 * Secret entries become secret overrides, the others plain ones.
 */
export function pulumiConfig(text: string): { config: Record<string, string>; secrets: Record<string, string> } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // JSON.parse quotes the text it failed on, and that text holds secrets.
    throw new InputError(`--pulumi-config: not valid JSON; ${PULUMI_CONFIG_HINT}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new InputError(`--pulumi-config: not a JSON object; ${PULUMI_CONFIG_HINT}`);
  const config: Record<string, string> = {};
  const secrets: Record<string, string> = {};
  for (const [key, entry] of Object.entries(parsed)) {
    if (entry === null || typeof entry !== "object") throw new InputError(`--pulumi-config: "${key}" is not an entry object; ${PULUMI_CONFIG_HINT}`);
    const { value, objectValue, secret } = entry as { value?: unknown; objectValue?: unknown; secret?: unknown };
    if (secret !== undefined && typeof secret !== "boolean") throw new InputError(`--pulumi-config: "${key}": "secret" must be true or false`);
    if (secret === true && (value === undefined || value === "[secret]")) {
      throw new InputError(`--pulumi-config: "${key}" is secret but its value is hidden: run \`pulumi config --show-secrets --json\``);
    }
    const text = typeof value === "string" ? value : objectValue !== undefined ? JSON.stringify(objectValue) : undefined;
    if (text === undefined) throw new InputError(`--pulumi-config: "${key}" has no "value" string; ${PULUMI_CONFIG_HINT}`);
    (secret === true ? secrets : config)[key] = text;
  }
  return { config, secrets };
}

/** `{ "<stack>": { "<output>": value } }`: what StackReferences to those stacks answer. */
function stackOutputs(text: string, file: string): Record<string, Record<string, unknown>> {
  const shape = `it must hold { "<stack name>": { "<output>": value } }, e.g. { "acme/realtime-shop-events/dev": { "kafkaBootstrapServers": "kafka:9092" } }`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InputError(`--stack-outputs ${file}: not valid JSON (${(error as Error).message}); ${shape}`);
  }
  const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
  if (!isMap(parsed)) throw new InputError(`--stack-outputs ${file}: ${shape}`);
  for (const [stack, outputs] of Object.entries(parsed)) {
    if (!isMap(outputs)) throw new InputError(`--stack-outputs ${file}: "${stack}" must map output names to values; ${shape}`);
  }
  return parsed as Record<string, Record<string, unknown>>;
}
