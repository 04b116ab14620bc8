// npm run render -- --stack <stack> [--app <file>] [--out <dir>] [--config key=value]... [--secret key=value]...
import * as path from "path";
import { parseStackArgs } from "./args";
import { renderStack } from "./render";
import { summarize, writeRender } from "./write";

async function main(): Promise<number> {
  let args;
  try {
    args = parseStackArgs(process.argv.slice(2), ["out"]);
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  try {
    const result = await renderStack({ stack: args.stack, appFile: args.appFile, config: args.config, secrets: args.secrets });
    const outDir = path.resolve(args.extra.out ?? path.join("out", args.stack));
    writeRender(result, outDir);
    console.log(summarize(result));
    console.log(`written to ${path.relative(process.cwd(), outDir) || "."}`);
    return 0;
  } catch (error) {
    console.error(`render failed, nothing written:\n${(error as Error).message}`);
    return 1;
  }
}

main().then((code) => process.exit(code));
