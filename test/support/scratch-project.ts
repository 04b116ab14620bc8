import * as fs from "fs";
import * as path from "path";

/** What the scratch runner writes: where the library came from, what it registered, the stack outputs. */
export interface ScratchRun {
  libraryEntry: string;
  resources: Array<{ type: string; name: string; custom: boolean; inputs: Record<string, unknown> }>;
  outputs: Record<string, unknown>;
}

/** A consumer program: typed args, one orchestrator, its outputs exported. */
const INDEX_TS = `import * as pulumi from "@pulumi/pulumi";
import { CamundaOrchestrator, CamundaOrchestratorArgs, ComponentPropertiesInput, OrchestratorSettings, TopicNames } from "camunda-orchestrator";

const properties: ComponentPropertiesInput = {
  realtimePlatform: "shop-events",
  camundaMode: "embedded",
  enableEventStreaming: true,
  sagaPatterns: ["compensation", "retry"],
  resources: { cpu: "500m", memory: "512Mi" },
  environment: { LOG_LEVEL: "info" },
};
const settings: OrchestratorSettings = {
  eventBus: "kafka",
  kafkaMode: "strimzi",
  kafkaStrimziNamespace: "kafka",
  postgresMode: "in-cluster",
  redisMode: "in-cluster",
  monitoring: true,
  workerMinScale: 1,
  workerMaxScale: 3,
};
const args: CamundaOrchestratorArgs = { properties, namespace: "shop", settings };
const orchestrator = new CamundaOrchestrator("checkout", args);

export const zeebeGatewayAddress: pulumi.Output<string> = orchestrator.zeebeGatewayAddress;
export const workerUrl: pulumi.Output<string> = orchestrator.workerUrl;
export const topics: pulumi.Output<TopicNames> = orchestrator.topics;
export const databaseSecret: pulumi.Output<string> = orchestrator.secretNames.apply((names) => names.database);
export const workflowsConfigMap: pulumi.Output<string> = orchestrator.workflowsConfigMapName;
`;

/** Runs index.ts under Pulumi's mocks and writes a {@link ScratchRun} to the path given as argument. */
const RUNNER_TS = `import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";

interface Registered { type: string; name: string; custom: boolean; inputs: Record<string, unknown> }

async function main(outFile: string): Promise<void> {
  const resources: Registered[] = [];
  await pulumi.runtime.setMocks({
    newResource(args: pulumi.runtime.MockResourceArgs) {
      resources.push({ type: args.type, name: args.name, custom: args.custom ?? false, inputs: args.inputs });
      return { id: args.custom ? args.name + "-id" : undefined, state: args.inputs };
    },
    call(args: pulumi.runtime.MockCallArgs) {
      return args.inputs;
    },
  }, "scratch-consumer", "dev", false);
  // The stack's body, as the Pulumi CLI runs it: resolves to the program's exports, outputs resolved.
  const outputs = (await pulumi.runtime.runInPulumiStack(async () => (await import("./index")) as Record<string, unknown>)) as Record<string, unknown>;
  // Registrations that no output waits for may still be in flight: wait until none arrive for 200 ms.
  for (let seen = -1; seen !== resources.length; ) {
    seen = resources.length;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  fs.writeFileSync(outFile, JSON.stringify({ libraryEntry: require.resolve("camunda-orchestrator"), resources, outputs }));
}

main(process.argv[2]).catch((error) => {
  console.error(error);
  process.exit(1);
});
`;

/** Uses the package's types on purpose the wrong way: must not compile. */
const MISUSE_TS = `import { CamundaOrchestrator } from "camunda-orchestrator";
new CamundaOrchestrator("checkout", { properties: {}, namespace: 42 });
new CamundaOrchestrator("checkout", { properties: {}, namespace: "shop", settings: { workerMinScale: "one" } });
`;

const TSCONFIG = (files: string[], emit: boolean) => ({
  compilerOptions: {
    target: "ES2022",
    module: "commonjs",
    moduleResolution: "node",
    lib: ["ES2022"],
    strict: true,
    esModuleInterop: true,
    // Library declarations are type-checked too, the package's own .d.ts files included.
    skipLibCheck: false,
    types: ["node"],
    ...(emit ? { outDir: "bin" } : { noEmit: true }),
  },
  files,
});

/**
 * Writes a consumer Pulumi project into `dir` that depends on the packed library (a tarball path)
 * with the versions the repository pins.
 */
export function writeScratchProject(dir: string, tarball: string, versions: Record<string, string>): void {
  const packageJson = {
    name: "scratch-consumer",
    version: "0.0.0",
    private: true,
    main: "bin/index.js",
    dependencies: {
      "camunda-orchestrator": `file:${tarball}`,
      "@pulumi/pulumi": versions["@pulumi/pulumi"],
    },
    devDependencies: {
      typescript: versions["typescript"],
      "@types/node": versions["@types/node"],
    },
  };
  const write = (name: string, content: string) => fs.writeFileSync(path.join(dir, name), content);
  write("package.json", JSON.stringify(packageJson, null, 2) + "\n");
  write(
    "Pulumi.yaml",
    "name: scratch-consumer\nruntime:\n  name: nodejs\n  options:\n    typescript: true\ndescription: imports camunda-orchestrator from its packed tarball\n",
  );
  write("index.ts", INDEX_TS);
  write("runner.ts", RUNNER_TS);
  write("misuse.ts", MISUSE_TS);
  write("tsconfig.json", JSON.stringify(TSCONFIG(["index.ts"], false), null, 2));
  write("tsconfig.run.json", JSON.stringify(TSCONFIG(["index.ts", "runner.ts"], true), null, 2));
  write("tsconfig.misuse.json", JSON.stringify(TSCONFIG(["misuse.ts"], false), null, 2));
}
