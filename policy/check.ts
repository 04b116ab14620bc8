import { PolicyPackConfig } from "@pulumi/policy";
import { readFileSync } from "fs";
import { parseStackArgs, StackArgs } from "../render/args";
import { renderStack } from "../render/render";
import { RenderOptions, RenderResult } from "../render/types";
import { runPolicies, Violation } from "./offline";
import { checkPackConfig } from "./pack-config";
import { policies } from "./policies/all";

export type Render = (options: RenderOptions) => Promise<RenderResult>;

export const EXIT = { ok: 0, mandatoryViolation: 1, badInput: 2 } as const;

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`cannot read policy config ${file}: ${(e as Error).message}`);
  }
}

function format(v: Violation): string {
  return `${v.level.padEnd(9)} ${v.policy}\n  resource: ${v.resource}\n  ${v.message}`;
}

/**
 * The offline check: render the stack, run every policy, print violations and a summary.
 * Returns the exit code: 1 when a mandatory policy is violated, 2 on bad input (arguments, policy config,
 * or whatever the render rejects), 0 otherwise.
 */
export async function runCheck(argv: string[], render: Render, print: (line: string) => void): Promise<number> {
  let args: StackArgs;
  try {
    // Same flags as the render (shared parser), plus the policy config file.
    args = parseStackArgs(argv, ["policy-config"]);
  } catch (e) {
    print(`error: ${(e as Error).message}`);
    return EXIT.badInput;
  }
  let packConfig: PolicyPackConfig = {};
  let result: RenderResult;
  try {
    const file = args.extra["policy-config"];
    if (file) packConfig = checkPackConfig(readJson(file), policies);
    result = await render({ stack: args.stack, appFile: args.appFile, config: args.config, secrets: args.secrets });
  } catch (e) {
    print(`error: ${(e as Error).message}`);
    return EXIT.badInput;
  }
  const violations = await runPolicies(policies, result.resources, packConfig);
  for (const v of violations) print(format(v));
  const mandatory = violations.filter((v) => v.level === "mandatory").length;
  print(
    `stack ${result.stack}: ${result.resources.length} resources, ${policies.length} policies, ` +
      `${violations.length} violations (${mandatory} mandatory, ${violations.length - mandatory} advisory)`,
  );
  return mandatory > 0 ? EXIT.mandatoryViolation : EXIT.ok;
}

if (require.main === module) {
  runCheck(process.argv.slice(2), renderStack, (line) => console.log(line)).then(
    (code) => process.exit(code),
    (e) => {
      console.error(e);
      process.exit(3);
    },
  );
}
