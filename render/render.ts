import * as path from "path";
import { REPOSITORY_SECRET_KEYS, SECRET_SETTING_KEYS, CONFIG_NAMESPACE } from "../components/settings";
import { resolveStack } from "../components/stack-config";
import { ValidationError } from "../components/validation";
import { InputError } from "./errors";
import { ProgramError, runUnderMocks } from "./mock-run";
import { findLeaks } from "./redact";
import { loadRunConfig } from "./stack-file";
import { RenderOptions, RenderResult } from "./types";

/** Repository root: where Pulumi.yaml and index.ts live. */
export const PROJECT_DIR = path.resolve(__dirname, "..");

/**
 * Runs the stack program (`index.ts`) in-process under Pulumi's mock runtime with the stack's config,
 * as a preview would, and returns every registered resource and the stack outputs, secrets redacted.
 * Invalid input rejects with a ValidationError or an InputError; a secret found in plain text rejects
 * with a plain Error (a bug).
 */
export async function renderStack(options: RenderOptions): Promise<RenderResult> {
  const projectDir = options.projectDir ?? PROJECT_DIR;
  const overrides = { config: { ...options.config }, secrets: options.secrets };
  if (options.appFile) overrides.config.application = path.resolve(options.appFile);
  const runConfig = loadRunConfig(projectDir, options.stack, overrides);

  const programPath = require.resolve(path.join(projectDir, "index.ts"));
  delete require.cache[programPath];
  let run;
  try {
    run = await runUnderMocks(
      { stack: options.stack, project: runConfig.project, config: runConfig.values, secretKeys: runConfig.secretKeys, stackOutputs: options.stackOutputs },
      () => require(programPath),
    );
  } catch (error) {
    throw explainProgramError(explainEncrypted(error, runConfig.encryptedKeys));
  }

  const knownSecrets = [...run.generatedSecrets, ...runConfig.secretKeys.map((k) => runConfig.values[k]).filter((v) => v.length >= 4)];
  const leaks = [
    ...run.resources.flatMap((r) => findLeaks(r.inputs, knownSecrets).map((where) => `${r.type} ${r.name}: inputs.${where}`)),
    ...findLeaks(run.outputs, knownSecrets).map((where) => `stack output ${where}`),
  ];
  if (leaks.length > 0) throw new Error(`secret values reached these places in plain text; nothing was written:\n${leaks.join("\n")}`);
  const { settings, specs } = resolveStack(...programConfig(runConfig.values, runConfig.secretKeys), projectDir);
  const secretKeys = new Set<string>([...SECRET_SETTING_KEYS, ...REPOSITORY_SECRET_KEYS]);
  const plainSettings = Object.fromEntries(Object.entries(settings).filter(([key]) => !secretKeys.has(key))) as RenderResult["settings"];
  return { stack: options.stack, resources: run.resources, outputs: run.outputs, warnings: run.warnings, settings: plainSettings, orchestrators: specs };
}

/** The project's own config as the program reads it: keys without the namespace, and which are secret. */
function programConfig(values: Record<string, string>, secretKeys: string[]): [Record<string, string>, Set<string>] {
  const prefix = `${CONFIG_NAMESPACE}:`;
  const raw = Object.fromEntries(
    Object.entries(values)
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, value]) => [key.slice(prefix.length), value]),
  );
  return [raw, new Set(secretKeys.filter((key) => key.startsWith(prefix)).map((key) => key.slice(prefix.length)))];
}

/**
 * A failure the program reports on purpose (e.g. a platform stack without the output it needs) is the
 * user's to fix; the render adds how it answers StackReferences. Anything else is a bug.
 */
function explainProgramError(error: unknown): unknown {
  if (!(error instanceof ProgramError)) return error;
  const hint =
    error.unansweredStacks.length > 0
      ? [
          `the offline render answers StackReferences from --stack-outputs <file.json>, { "<stack>": { "<output>": value } }; it was given none for ${error.unansweredStacks.map((s) => `"${s}"`).join(", ")}`,
        ]
      : [];
  if (!error.reportedByProgram) return new Error(`the stack program failed:\n${[...error.problems, ...hint].join("\n")}`);
  return new InputError([...error.problems, ...hint].join("\n"));
}

/** A missing credential that the stack file holds encrypted needs a different hint than a missing one. */
function explainEncrypted(error: unknown, encryptedKeys: string[]): unknown {
  if (!(error instanceof ValidationError) || encryptedKeys.length === 0) return error;
  const hint =
    `the stack file holds ${encryptedKeys.join(", ")} encrypted, which the offline render cannot decrypt: pass each with ` +
    "--secret-env <key>=<VARIABLE> or --secret-file <key>=<file>, or all at once with `pulumi config --show-secrets --json | npm run render -- --pulumi-config - ...`";
  return new ValidationError([...error.problems, hint]);
}
