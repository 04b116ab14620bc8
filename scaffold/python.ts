// Source repository for `python`: pyzeebe job workers, httpx, aiokafka, pytest.
import { ScaffoldModel, workerTable } from "./model";
import { FileMap, fillFolder } from "./template";
import { PYTHON_VERSIONS } from "./versions";

export function pythonRepository(model: ScaffoldModel): FileMap {
  const py = (value: string) => JSON.stringify(value);
  const files = fillFolder("python", {
    repository: model.repository,
    gitopsRepository: model.gitopsRepository,
    orchestrator: model.orchestrator,
    namespace: model.namespace,
    topicsPrefix: model.topicsPrefix,
    pythonVersion: PYTHON_VERSIONS.python,
    pyzeebeVersion: PYTHON_VERSIONS.pyzeebe,
    httpxVersion: PYTHON_VERSIONS.httpx,
    aiokafkaVersion: PYTHON_VERSIONS.aiokafka,
    pytestVersion: PYTHON_VERSIONS.pytest,
    pytestAsyncioVersion: PYTHON_VERSIONS.pytestAsyncio,
    taskTypeLines: model.workers.map((w) => `    ${py(w.type)},`).join("\n"),
    handlerLines: model.workers
      .map((w) => {
        const handler =
          w.kind === "call"
            ? `call_microservice(${py(w.service)}, config)`
            : w.kind === "compensate"
              ? `compensate(${py(w.service)}, config)`
              : "publish_and_wait(publisher, config)";
        return `        ${py(w.type)}: ${handler},`;
      })
      .join("\n"),
    workerTable: workerTable(model),
  });
  for (const [name, xml] of Object.entries(model.workflows)) files[`workflows/${name}`] = xml;
  return files;
}
