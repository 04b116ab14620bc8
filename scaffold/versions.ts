// Versions the generated repositories pin. The Node ones are the versions this repository installs and
// tests the generated TypeScript repository with (test/scaffold.test.ts checks they match the lockfile).
export const NODE_VERSIONS = {
  node: "20",
  camundaSdk: "8.8.13",
  kafkajs: "2.2.4",
  typescript: "5.9.3",
  mocha: "11.8.0",
  typesNode: "20.19.43",
  typesMocha: "10.0.10",
} as const;

/**
 * Java: Camunda 8.8's Spring Boot starter (io.camunda:camunda-spring-boot-starter, which replaces
 * spring-boot-starter-camunda-sdk in 8.8) on Spring Boot 3.5 (the line the 8.8 starter is built for), and
 * Camunda Process Test (io.camunda:camunda-process-test-spring) for integration tests.
 */
export const JAVA_VERSIONS = { java: "17", springBoot: "3.5.7", camunda: "8.8.14" } as const;

/** Go: the community-maintained Zeebe Go client (Camunda's own Go client and zbctl moved there in 8.6). */
export const GO_VERSIONS = { go: "1.23", zeebeClient: "v8.6.0", kafka: "v0.4.51" } as const;

/** Python: pyzeebe, the maintained community gRPC client with job workers (asyncio). */
export const PYTHON_VERSIONS = { python: "3.12", pyzeebe: "4.7.0", aiokafka: "0.14.0", httpx: "0.28.1", pytest: "9.2.0", pytestAsyncio: "1.5.0" } as const;
