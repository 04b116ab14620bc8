import { isWorkerVariable, WORKER_VARIABLES, workerValueProblem } from "../workers/src/contract";
import { ORCHESTRATOR_VARIABLES } from "./worker-env";

/** Variables Knative Serving sets in every revision and refuses in a Service (knative/serving `pkg/apis/serving/k8s_validation.go`). */
export const KNATIVE_RESERVED_VARIABLES = ["PORT", "K_SERVICE", "K_CONFIGURATION", "K_REVISION"] as const;

/** Levenshtein distance, for "did you mean". */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length];
}

/** Prefixes of the variables @camunda8/sdk reads itself (its `CamundaEnvironmentVariableDictionary`). */
export const SDK_PREFIXES = ["CAMUNDA_", "ZEEBE_"] as const;

const words = (name: string) => name.toUpperCase().split("_").filter(Boolean);
const includesAll = (whole: string[], part: string[]) => part.every((word) => whole.includes(word));

/**
 * The worker variable `name` looks like while not being one: a typo or a different case (`CALL_TIMOUT_MS`,
 * `log_level`), or the same words with one added or left out (`DEFAULT_CALL_TIMEOUT_MS`, `POLL_INTERVAL`).
 * Undefined when nothing is close: most extra variables (NODE_OPTIONS, OTEL_*, TZ) are not meant for the worker.
 */
export function lookalikeWorkerVariable(name: string): string | undefined {
  if (isWorkerVariable(name)) return undefined;
  const upper = name.toUpperCase();
  const nameWords = words(name);
  // The SDK reads its own settings from CAMUNDA_* and ZEEBE_* (e.g. CAMUNDA_LOG_LEVEL beside the worker's
  // LOG_LEVEL): there only a misspelling counts, not a word more or less.
  const sdkNamespace = SDK_PREFIXES.some((prefix) => upper.startsWith(prefix));
  const candidates = WORKER_VARIABLES.filter((variable) => {
    if (variable === upper || (upper.length >= 6 && editDistance(upper, variable) <= 2)) return true;
    if (sdkNamespace) return false;
    const variableWords = words(variable);
    const overlap = nameWords.length >= 2 && variableWords.length >= 2;
    return (
      overlap && Math.abs(nameWords.length - variableWords.length) === 1 && (includesAll(nameWords, variableWords) || includesAll(variableWords, nameWords))
    );
  });
  // The closest spelling wins; ties go to the schema's order.
  return candidates.sort((a, b) => editDistance(upper, a) - editDistance(upper, b))[0];
}

/**
 * What is wrong with one entry of a component's `environment`, or undefined. Variables the orchestrator or
 * Knative set are refused; a worker setting's value is checked with the worker's own schema; a name that
 * looks like a worker setting but is not one is refused with the right name, since it would do nothing.
 */
export function environmentEntryProblem(name: string, value: string): string | undefined {
  if ((KNATIVE_RESERVED_VARIABLES as readonly string[]).includes(name)) return "is reserved by Knative, which sets it in every revision";
  if ((ORCHESTRATOR_VARIABLES as readonly string[]).includes(name)) {
    return "is set by the orchestrator itself from the properties and stack config; set those instead";
  }
  if (isWorkerVariable(name)) {
    const problem = workerValueProblem(name, value);
    return problem ? `${problem} (the worker would refuse to start)` : undefined;
  }
  const lookalike = lookalikeWorkerVariable(name);
  if (!lookalike) return undefined;
  const setBy = (ORCHESTRATOR_VARIABLES as readonly string[]).includes(lookalike)
    ? ", which the orchestrator sets itself from the properties and stack config"
    : "";
  return `is not a worker setting and would do nothing; did you mean ${lookalike}${setBy}?`;
}
