// npm run policy -- --stack <stack> [options]; `npm run policy -- --help` lists them.
import { PolicyPackConfig } from "@pulumi/policy";
import { readFileSync } from "fs";
import { CommandSpec, invocationDir, parseCommandLine, usage } from "../render/args";
import { Console } from "../render/cli";
import { EXIT, InputError, reportError } from "../render/errors";
import { InputIO, processIO, resolveInputs } from "../render/inputs";
import { renderStack } from "../render/render";
import { RenderOptions, RenderResult } from "../render/types";
import { runPolicies, Violation } from "./offline";
import { checkPackConfig } from "./pack-config";
import { policies } from "./policies/all";

export type Render = (options: RenderOptions) => Promise<RenderResult>;

export const POLICY_COMMAND: CommandSpec = {
  name: "policy",
  summary:
    "Checks a stack against the policy pack offline: renders it as `npm run render` does (nothing is written) and runs\n" +
    "every policy over the result, the same code `pulumi preview --policy-pack policy` runs.",
  pathOptions: {
    "policy-config": { value: "file", help: "policy levels and options, in the format of pulumi's --policy-pack-config" },
  },
  exitCodes: [
    [EXIT.ok, "no mandatory policy violated (advisory violations may be printed)"],
    [EXIT.violation, "at least one mandatory policy violated"],
    [EXIT.invalidInput, "invalid input or usage (arguments, files, config, policy config)"],
    [EXIT.internalError, "internal error (a bug)"],
  ],
  examples: [
    "npm run policy -- --stack dev",
    "npm run policy -- --stack dev --app examples/platform-multi.yaml --policy-config policy-config.json",
    "pulumi config --show-secrets --json --stack prod | npm run policy -- --stack prod --pulumi-config -",
  ],
};

function readPolicyConfig(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new InputError(`--policy-config ${file}: cannot read it as JSON (${(e as Error).message})`);
  }
}

/** checkPackConfig throws plain errors naming what is wrong with the file: the user's to fix. */
function checkedPackConfig(file: string): PolicyPackConfig {
  const content = readPolicyConfig(file);
  try {
    return checkPackConfig(content, policies);
  } catch (e) {
    throw new InputError(`--policy-config ${file}: ${(e as Error).message}`);
  }
}

function format(v: Violation): string {
  return `${v.level.padEnd(9)} ${v.policy}\n  resource: ${v.resource}\n  ${v.message}`;
}

/**
 * The offline check: render the stack, run every policy, print violations and a summary on `out`, warnings
 * and errors on `err`. Returns the exit code (EXIT in render/errors.ts, the same contract as the render).
 */
export async function runCheck(argv: readonly string[], render: Render, io: InputIO & { cwd: string }, console: Console): Promise<number> {
  let result: RenderResult;
  let packConfig: PolicyPackConfig = {};
  try {
    const line = parseCommandLine(argv, POLICY_COMMAND, invocationDir(io.env, io.cwd, POLICY_COMMAND.name));
    if (line.help) {
      console.out(usage(POLICY_COMMAND));
      return EXIT.ok;
    }
    for (const warning of line.warnings) console.err(`warning: ${warning}`);
    const file = line.paths["policy-config"];
    if (file) packConfig = checkedPackConfig(file);
    const inputs = resolveInputs(line, io);
    result = await render({ stack: line.stack, appFile: line.appFile, config: inputs.config, secrets: inputs.secrets, stackOutputs: inputs.stackOutputs });
    for (const warning of result.warnings) console.err(`warning: ${warning}`);
  } catch (e) {
    return reportError(e, console.err, "policy check not run");
  }
  try {
    const violations = await runPolicies(policies, result.resources, packConfig);
    for (const v of violations) console.out(format(v));
    const mandatory = violations.filter((v) => v.level === "mandatory").length;
    console.out(
      `stack ${result.stack}: ${result.resources.length} resources, ${policies.length} policies, ` +
        `${violations.length} violations (${mandatory} mandatory, ${violations.length - mandatory} advisory)`,
    );
    return mandatory > 0 ? EXIT.violation : EXIT.ok;
  } catch (e) {
    return reportError(e, console.err, "policy check failed");
  }
}

if (require.main === module) {
  runCheck(
    process.argv.slice(2),
    renderStack,
    { ...processIO, cwd: process.cwd() },
    {
      out: (text) => process.stdout.write(text + "\n"),
      err: (text) => process.stderr.write(text + "\n"),
    },
  ).then((code) => process.exit(code));
}
