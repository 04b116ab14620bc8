/** Sizing of an embedded Zeebe (camunda-platform chart 13.x, Camunda 8.8). */
export interface EmbeddedZeebeSizing {
  clusterSize: number;
  partitionCount: number;
  replicationFactor: number;
}

/**
 * Values for the `camunda-platform` chart: 8.8 puts broker and gateway in one `orchestration` block.
 * Only what an orchestrator needs runs: Zeebe with its gateway; the web apps that need an identity
 * provider stay off, and a single-node cluster gets a single-node Elasticsearch.
 */
export function camundaHelmValues(sizing: EmbeddedZeebeSizing): Record<string, unknown> {
  const singleNode = sizing.clusterSize === 1;
  return {
    global: { identity: { auth: { enabled: false } } },
    identity: { enabled: false },
    identityKeycloak: { enabled: false },
    optimize: { enabled: false },
    connectors: { enabled: false },
    webModeler: { enabled: false },
    orchestration: {
      enabled: true,
      clusterSize: String(sizing.clusterSize),
      partitionCount: String(sizing.partitionCount),
      replicationFactor: String(sizing.replicationFactor),
      resources: singleNode
        ? { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "1", memory: "2Gi" } }
        : { requests: { cpu: "1", memory: "2Gi" }, limits: { cpu: "2", memory: "4Gi" } },
      pvcSize: singleNode ? "8Gi" : "32Gi",
    },
    elasticsearch: {
      enabled: true,
      master: { replicaCount: singleNode ? 1 : 3, persistence: { size: singleNode ? "8Gi" : "64Gi" } },
    },
  };
}
