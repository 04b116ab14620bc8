// Source repository for `go`: the community-maintained Zeebe Go client, net/http, kafka-go, go test.
import { ScaffoldModel, workerTable } from "./model";
import { FileMap, fillFolder } from "./template";
import { GO_VERSIONS } from "./versions";

export function goRepository(model: ScaffoldModel): FileMap {
  const handlerLines = model.workers
    .map((w) => {
      const handler =
        w.kind === "call"
          ? `CallMicroservice(${JSON.stringify(w.service)}, config)`
          : w.kind === "compensate"
            ? `Compensate(${JSON.stringify(w.service)}, config)`
            : "PublishAndWait(publisher, config)";
      return `\t\t${JSON.stringify(w.type)}: ${handler},`;
    })
    .join("\n");
  const files = fillFolder("go", {
    repository: model.repository,
    gitopsRepository: model.gitopsRepository,
    orchestrator: model.orchestrator,
    namespace: model.namespace,
    topicsPrefix: model.topicsPrefix,
    goModule: model.repository.toLowerCase(),
    goVersion: GO_VERSIONS.go,
    zeebeClientVersion: GO_VERSIONS.zeebeClient,
    kafkaGoVersion: GO_VERSIONS.kafka,
    handlerLines,
    taskTypesGo: model.workers.map((w) => JSON.stringify(w.type)).join(", "),
    workerTable: workerTable(model),
  });
  for (const [name, xml] of Object.entries(model.workflows)) files[`workflows/${name}`] = xml;
  return files;
}
