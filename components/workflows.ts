import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { labels } from "./naming";
import { defaultWorkflowsDir, readWorkflowFiles } from "./workflow-files";

export interface WorkflowModelsArgs {
  component: string;
  namespace: pulumi.Input<string>;
  /** Directory of `.bpmn` files; default: the worker's bundled templates (workers/workflows). */
  directory?: string;
}

/**
 * The BPMN models in a ConfigMap named after their content hash: a changed model is a new ConfigMap,
 * so the worker's revision changes and the new worker deploys the new models at start-up.
 */
export class WorkflowModels extends pulumi.ComponentResource {
  public readonly configMapName: pulumi.Output<string>;
  public readonly fileNames: string[];
  public readonly contentHash: string;

  constructor(name: string, args: WorkflowModelsArgs, opts?: pulumi.ComponentResourceOptions) {
    const models = readWorkflowFiles(args.directory ?? defaultWorkflowsDir());
    super("camunda-orchestrator:workflows:WorkflowModels", name, { files: Object.keys(models.files), contentHash: models.hash }, opts);
    const configMap = new k8s.core.v1.ConfigMap(`${name}-configmap`, {
      metadata: { name: `${args.component}-workflows-${models.hash}`, namespace: args.namespace, labels: labels(args.component, "workflows") },
      data: models.files,
      immutable: true,
    }, { parent: this });
    this.configMapName = configMap.metadata.name;
    this.fileNames = Object.keys(models.files);
    this.contentHash = models.hash;
    this.registerOutputs({ configMapName: this.configMapName, fileNames: this.fileNames, contentHash: this.contentHash });
  }
}
