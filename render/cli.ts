// npm run render -- --stack <stack> [options]; `npm run render -- --help` lists them.
import * as path from "path";
import { CommandSpec, invocationDir, parseCommandLine, usage } from "./args";
import { EXIT, reportError } from "./errors";
import { InputIO, processIO, resolveInputs } from "./inputs";
import { checkOutDir, writeIntoOutDir } from "./out-dir";
import type { RenderOptions, RenderResult } from "./types";
import { summarize, writeRender } from "./write";

/** The project the render runs: this repository. */
const PROJECT_DIR = path.resolve(__dirname, "..");

// Loaded only when a render runs: the Pulumi SDK takes seconds to load, --help and usage errors need none of it.
const renderStack = async (options: RenderOptions): Promise<RenderResult> => (await import("./render")).renderStack(options);

export const RENDER_COMMAND: CommandSpec = {
  name: "render",
  summary:
    "Renders a stack offline, without a cluster or the Pulumi CLI: runs the stack program under Pulumi's mocks and writes\n" +
    "every resource, the Kubernetes manifests, the Helm values and the stack outputs, every secret redacted.",
  pathOptions: {
    out: { value: "dir", help: "where to write (default: out/<stack> in the project); a new or empty folder, or an earlier render's" },
  },
  exitCodes: [
    [EXIT.ok, "rendered and written"],
    [EXIT.invalidInput, "invalid input or usage (arguments, files, config, an --out folder that is not a render's); nothing written"],
    [EXIT.internalError, "internal error (a bug); nothing written"],
  ],
  examples: [
    "npm run render -- --stack dev",
    "npm run render -- --stack dev --app examples/platform-multi.yaml --out /tmp/logistics",
    "pulumi config --show-secrets --json --stack prod | npm run render -- --stack prod --pulumi-config -",
  ],
};

export interface Console {
  out(text: string): void;
  err(text: string): void;
}

/**
 * The render command: returns its exit code; prints results on `out`, warnings and errors on `err`.
 * `io.cwd` is the process's folder; relative paths are taken from the folder npm was run in.
 */
export async function runRender(argv: readonly string[], io: InputIO & { cwd: string }, console: Console): Promise<number> {
  try {
    const base = invocationDir(io.env, io.cwd, RENDER_COMMAND.name);
    const line = parseCommandLine(argv, RENDER_COMMAND, base);
    if (line.help) {
      console.out(usage(RENDER_COMMAND));
      return EXIT.ok;
    }
    for (const warning of line.warnings) console.err(`warning: ${warning}`);
    const outDir = line.paths.out ?? path.join(PROJECT_DIR, "out", line.stack);
    checkOutDir(outDir); // before rendering: a refused folder should not cost a render
    const inputs = resolveInputs(line, io);
    const result = await renderStack({
      stack: line.stack,
      appFile: line.appFile,
      config: inputs.config,
      secrets: inputs.secrets,
      stackOutputs: inputs.stackOutputs,
    });
    for (const warning of result.warnings) console.err(`warning: ${warning}`);
    const relative = path.relative(base, outDir);
    const shown = relative && !relative.startsWith("..") ? relative : outDir;
    let steps: string[] = [];
    const { removed } = writeIntoOutDir(outDir, line.stack, (dir) => (steps = writeRender(result, dir, shown)));
    console.out(summarize(result));
    console.out(`written to ${shown}${removed.length > 0 ? ` (${removed.length} files of the earlier render removed)` : ""}`);
    // Beside the render's own files, never listed in its marker: a source repository is the team's once created.
    const repositories = (await import("./repositories")).scaffoldRender(result, outDir, shown);
    if (repositories.length > 0) console.out(`repositories:\n${repositories.map((entry) => `- ${entry}`).join("\n")}`);
    console.out(`next steps:\n${steps.map((step) => `- ${step}`).join("\n")}`);
    return EXIT.ok;
  } catch (error) {
    return reportError(error, console.err, "render failed, nothing written");
  }
}

if (require.main === module) {
  runRender(
    process.argv.slice(2),
    { ...processIO, cwd: process.cwd() },
    {
      out: (text) => process.stdout.write(text + "\n"),
      err: (text) => process.stderr.write(text + "\n"),
    },
  ).then((code) => process.exit(code));
}
