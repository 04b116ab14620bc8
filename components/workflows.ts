import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { SAGA_PATTERNS, ServedBy } from "../workers/src/contract";
import { labels } from "./naming";
import { defaultWorkflowsDir, readWorkflowFiles, servableModels } from "./workflow-files";

export interface WorkflowModelsArgs {
  /** Name of the orchestrator; prefixes the ConfigMap's name. */
  component: string;
  /** Namespace of the ConfigMap (the worker's). */
  namespace: pulumi.Input<string>;
  /** Directory of `.bpmn` files, top level only; default: the worker's bundled templates (workers/workflows). */
  directory?: string;
  /**
   * What the worker serves; a model with a task type outside it is not shipped (its instances would wait forever,
   * and the worker refuses to start with it). Default: everything (all saga patterns, event streaming on).
   */
  servedBy?: ServedBy;
}

/**
 * The BPMN models the worker can serve, in a ConfigMap named after their content hash: a changed model is a
 * new ConfigMap, so the worker's revision changes and the new worker deploys the new models at start-up.
 */
export class WorkflowModels extends pulumi.ComponentResource {
  /** Name of the ConfigMap. */
  public readonly configMapName: pulumi.Output<string>;
  /** The models shipped. */
  public readonly fileNames: string[];
  /** Models of the directory left out, with the reason. */
  public readonly skipped: Array<{ file: string; reason: string }>;
  /** Hash of the shipped models' names and contents. */
  public readonly contentHash: string;

  constructor(name: string, args: WorkflowModelsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("camunda-orchestrator:workflows:WorkflowModels", name, {}, opts);
    const directory = args.directory ?? defaultWorkflowsDir();
    let models: ReturnType<typeof servableModels>;
    try {
      models = servableModels(readWorkflowFiles(directory), args.servedBy ?? { sagaPatterns: SAGA_PATTERNS, eventStreaming: true });
    } catch (error) {
      throw new pulumi.ResourceError(`WorkflowModels ${name}: ${(error as Error).message}`, this);
    }
    for (const { file, reason } of models.skipped) pulumi.log.info(`${file} is not shipped to ${args.component}: ${reason}`, this);
    const configMap = new k8s.core.v1.ConfigMap(
      `${name}-configmap`,
      {
        metadata: { name: `${args.component}-workflows-${models.hash}`, namespace: args.namespace, labels: labels(args.component, "workflows") },
        data: models.files,
        immutable: true,
      },
      { parent: this },
    );
    this.configMapName = configMap.metadata.name;
    this.fileNames = Object.keys(models.files);
    this.skipped = models.skipped;
    this.contentHash = models.hash;
    this.registerOutputs({ configMapName: this.configMapName, fileNames: this.fileNames, skipped: this.skipped, contentHash: this.contentHash });
  }
}
