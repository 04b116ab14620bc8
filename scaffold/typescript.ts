// Source repository for `typescript` and `javascript`: Node.js job workers on @camunda8/sdk, mocha tests.
import { ScaffoldError, ScaffoldModel, workerTable } from "./model";
import { FileMap, fillFolder } from "./template";
import { NODE_VERSIONS } from "./versions";

function workerLine(worker: ScaffoldModel["workers"][number]): string {
  const call =
    worker.kind === "call"
      ? `callMicroservice(${JSON.stringify(worker.service)}, config)`
      : worker.kind === "compensate"
        ? `compensate(${JSON.stringify(worker.service)}, config)`
        : "publishAndWait(publisher, config)";
  return `    ${JSON.stringify(worker.type)}: ${call},`;
}

/** Values every Node template takes. */
function values(model: ScaffoldModel, languageName: string): Record<string, string> {
  return {
    repository: model.repository,
    gitopsRepository: model.gitopsRepository,
    orchestrator: model.orchestrator,
    namespace: model.namespace,
    topicsPrefix: model.topicsPrefix,
    languageName,
    nodeVersion: NODE_VERSIONS.node,
    camundaSdkVersion: NODE_VERSIONS.camundaSdk,
    kafkajsVersion: NODE_VERSIONS.kafkajs,
    typescriptVersion: NODE_VERSIONS.typescript,
    mochaVersion: NODE_VERSIONS.mocha,
    typesNodeVersion: NODE_VERSIONS.typesNode,
    typesMochaVersion: NODE_VERSIONS.typesMocha,
    taskTypeLines: model.workers.map((w) => `  ${JSON.stringify(w.type)},`).join("\n"),
    handlerLines: model.workers.map(workerLine).join("\n"),
    processesJson: JSON.stringify(
      model.processes.map(({ id, file, forwardTaskTypes }) => ({ id, file, forwardTaskTypes })),
      null,
      2,
    ),
    sampleVariablesJson: JSON.stringify(model.sampleVariables, null, 2),
    servicesJson: JSON.stringify(model.services),
    workerTable: workerTable(model),
  };
}

function withWorkflows(files: FileMap, model: ScaffoldModel): FileMap {
  for (const [name, xml] of Object.entries(model.workflows)) files[`workflows/${name}`] = xml;
  return files;
}

export function typescriptRepository(model: ScaffoldModel): FileMap {
  return withWorkflows(fillFolder("typescript", values(model, "TypeScript")), model);
}

/**
 * The JavaScript variant: the TypeScript sources compiled by TypeScript's own transpiler (types
 * removed, CommonJS), with a package.json that runs them as they are. `typescript` is there in every
 * TypeScript Pulumi project; without it this variant cannot be generated and says so.
 */
export function javascriptRepository(model: ScaffoldModel): FileMap {
  let ts: typeof import("typescript");
  try {
    ts = require("typescript") as typeof import("typescript");
  } catch {
    throw new ScaffoldError(`component "${model.orchestrator}": language javascript is generated with the typescript package, which is not installed`);
  }
  const source = fillFolder("typescript", values(model, "JavaScript"));
  const files: FileMap = {};
  for (const [file, content] of Object.entries(source)) {
    if (file === "tsconfig.json") continue;
    if (file.endsWith(".ts")) {
      const output = ts.transpileModule(content, {
        compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, esModuleInterop: true },
        fileName: file,
      });
      files[file.replace(/\.ts$/, ".js")] = output.outputText;
    } else {
      files[file] = content;
    }
  }
  const pkg = JSON.parse(files["package.json"]) as { scripts: Record<string, string>; devDependencies: Record<string, string> };
  pkg.scripts = { start: "node src/main.js", test: "mocha" };
  for (const types of ["typescript", "@types/mocha", "@types/node"]) delete pkg.devDependencies[types];
  files["package.json"] = JSON.stringify(pkg, null, 2) + "\n";
  files[".mocharc.json"] = JSON.stringify({ spec: ["test/**/*.test.js"], timeout: 60000, exit: true }, null, 2) + "\n";
  files["Dockerfile"] = files["Dockerfile"]
    .replace(/# Build stage[\s\S]*?RUN npm run build\n\n/, "")
    .replace("COPY --from=build /app/dist/src ./dist/src", "COPY src ./src")
    .replace('CMD ["node", "dist/src/main.js"]', 'CMD ["node", "src/main.js"]');
  files["README.md"] = files["README.md"]
    .replace(/`src\/([a-z/-]+)\.ts`/g, "`src/$1.js`")
    .replace(/`test\/([a-z.-]+)\.ts`/g, "`test/$1.js`")
    .replace("# build, then the handler tests", "# the handler tests");
  return withWorkflows(files, model);
}
