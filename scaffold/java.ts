// Source repository for `java`: Spring Boot 3 with Camunda 8.8's Spring Boot starter, Maven, Camunda Process Test.
import { pascalCase, ScaffoldModel, workerTable } from "./model";
import { FileMap, fill, fillFolder, readTemplate } from "./template";
import { JAVA_VERSIONS } from "./versions";

/** `enterprise-workflows` → `com.example.enterpriseworkflows` (a Java package: lower case letters and digits). */
export function javaPackageOf(repository: string): string {
  const name = repository.toLowerCase().replace(/[^a-z0-9]/g, "");
  return `com.example.${/^[a-z]/.test(name) ? name : `app${name}`}`;
}

const javaString = (value: string) => JSON.stringify(value);

export function javaRepository(model: ScaffoldModel): FileMap {
  const javaPackage = javaPackageOf(model.repository);
  const values = {
    repository: model.repository,
    gitopsRepository: model.gitopsRepository,
    orchestrator: model.orchestrator,
    namespace: model.namespace,
    topicsPrefix: model.topicsPrefix,
    javaPackage,
    javaGroup: javaPackage.split(".").slice(0, 2).join("."),
    javaVersion: JAVA_VERSIONS.java,
    springBootVersion: JAVA_VERSIONS.springBoot,
    camundaVersion: JAVA_VERSIONS.camunda,
    workerTable: workerTable(model),
  };
  const files = fillFolder("java", values);
  const main = `src/main/java/${javaPackage.replace(/\./g, "/")}`;
  const test = `src/test/java/${javaPackage.replace(/\./g, "/")}`;
  const part = (name: string, extra: Record<string, string> = {}) => fill(readTemplate(`java-parts/${name}`), { ...values, ...extra }, `java-parts/${name}`);

  files[`${main}/Application.java`] = part("Application.java.tmpl");
  files[`${main}/ServiceCalls.java`] = part("ServiceCalls.java.tmpl");
  files[`${main}/ReadyEndpoint.java`] = part("ReadyEndpoint.java.tmpl");
  for (const service of model.services) {
    const className = `${pascalCase(service)}Workers`;
    const methods = model.workers
      .filter((w) => w.kind !== "publish" && w.service === service)
      .map((w) => part(w.kind === "call" ? "call-method.java.tmpl" : "compensate-method.java.tmpl", { taskType: w.type }))
      .join("");
    files[`${main}/workers/${className}.java`] = part("ServiceWorkers.java.tmpl", { className, service, methods });
  }
  if (model.workers.some((w) => w.kind === "publish")) files[`${main}/workers/PublishAndWaitWorker.java`] = part("PublishAndWaitWorker.java.tmpl");
  for (const [name, xml] of Object.entries(model.workflows)) files[`src/main/resources/bpmn/${name}`] = xml;

  files[`${test}/ServiceCallsTest.java`] = part("ServiceCallsTest.java.tmpl");
  const processTests = model.processes
    .filter((p) => p.forwardCalls.length > 0)
    .map((p) =>
      part("process-test-method.java.tmpl", {
        methodName: `runs${pascalCase(p.id)}`,
        processId: p.id,
        variables: Object.entries(model.sampleVariables)
          .map(([k, v]) => `${javaString(k)}, ${javaString(v)}`)
          .join(", "),
        services: [...new Set(p.forwardCalls.map((c) => c.service))].map(javaString).join(", "),
        elementIds: p.forwardCalls.map((c) => javaString(c.elementId)).join(", "),
      }),
    )
    .join("");
  const serviceUrlProperties = model.services
    .map(
      (s) =>
        `    registry.add(${javaString(`SERVICE_URL_${s.replace(/[^A-Za-z0-9]+/g, "_").toUpperCase()}`)}, () -> "http://127.0.0.1:" + stub.getAddress().getPort() + "/${s}");`,
    )
    .join("\n");
  files[`${test}/ProcessTest.java`] = part("ProcessTest.java.tmpl", { processTests, serviceUrlProperties });
  return files;
}
