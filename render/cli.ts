// npm run render -- --stack <stack> [--app <file>] [--out <dir>] [--config key=value]... [--secret key=value]...
//                    [--stack-outputs <file.json>]   (outputs of referenced stacks: { "<stack>": { "<output>": value } })
import * as fs from "fs";
import * as path from "path";
import { parseStackArgs } from "./args";
import { renderStack } from "./render";
import { scaffoldRender } from "./repositories";
import { summarize, writeRender } from "./write";

async function main(): Promise<number> {
  let args;
  try {
    args = parseStackArgs(process.argv.slice(2), ["out", "stack-outputs"]);
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  try {
    const stackOutputs = args.extra["stack-outputs"] ? JSON.parse(fs.readFileSync(args.extra["stack-outputs"], "utf8")) : undefined;
    const result = await renderStack({ stack: args.stack, appFile: args.appFile, config: args.config, secrets: args.secrets, stackOutputs });
    const outDir = path.resolve(args.extra.out ?? path.join("out", args.stack));
    const steps = writeRender(result, outDir);
    console.log(summarize(result));
    console.log(`written to ${path.relative(process.cwd(), outDir) || "."}`);
    const repositories = scaffoldRender(result, outDir);
    if (repositories.length > 0) console.log(`repositories:\n${repositories.map((line) => `- ${line}`).join("\n")}`);
    console.log(`next steps:\n${steps.map((step) => `- ${step}`).join("\n")}`);
    return 0;
  } catch (error) {
    console.error(`render failed, nothing written:\n${(error as Error).message}`);
    return 1;
  }
}

main().then((code) => process.exit(code));
