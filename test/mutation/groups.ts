// What `npm run mutation` mutates, and which tests it runs against each group of targets. Each group is one
// Stryker run with its own tests: only the test files that exercise the group's code are loaded, so a mutant
// never waits on tests that cannot reach it.

export interface MutationTarget {
  /** The folder or file, as reported and as listed in the README. */
  name: string;
  /** Stryker `mutate` globs (project-relative). */
  mutate: string[];
}

export interface MutationGroup {
  name: string;
  targets: MutationTarget[];
  /** Mocha spec files that exercise the targets (project-relative). */
  specs: string[];
  /**
   * Leave out static mutants (code run once when a module loads, such as a policy's name, description and
   * config schema): each of them reloads every module and reruns every spec, rendering included.
   */
  ignoreStatic?: boolean;
}

/** Every target must keep at least this share of its mutants detected (killed or timed out). */
export const MIN_SCORE = 80;

export const GROUPS: MutationGroup[] = [
  {
    name: "workers",
    targets: [
      { name: "workers/src/handlers", mutate: ["workers/src/handlers/**/*.ts"] },
      { name: "workers/src/saga", mutate: ["workers/src/saga/**/*.ts"] },
      { name: "workers/src/idempotency.ts", mutate: ["workers/src/idempotency.ts"] },
    ],
    // The saga core's tests: the handlers, the saga log, its availability and its traced writes driven
    // directly, and the real worker end to end against real PostgreSQL (started by the tests), the gateway
    // peer and loopback services.
    specs: [
      "workers/test/handlers.test.ts",
      "workers/test/saga-log.test.ts",
      "workers/test/availability.test.ts",
      "workers/test/tracing.test.ts",
      "workers/test/unit.test.ts",
      "workers/test/redirects.test.ts",
      "workers/test/saga.e2e.test.ts",
      "workers/test/steps-once.e2e.test.ts",
      "workers/test/compensation-order.e2e.test.ts",
      "workers/test/outages.e2e.test.ts",
      "workers/test/job-intake.e2e.test.ts",
      "workers/test/orchestration.e2e.test.ts",
    ],
  },
  {
    name: "components",
    targets: [
      { name: "components/properties.ts", mutate: ["components/properties.ts"] },
      { name: "components/settings.ts", mutate: ["components/settings.ts"] },
    ],
    // The validation of properties and settings, pure functions tested without Pulumi mocks.
    specs: ["test/properties.test.ts", "test/settings.test.ts", "test/stack-config.test.ts"],
  },
  {
    name: "policy",
    targets: [
      { name: "policy/policies", mutate: ["policy/policies/**/*.ts"] },
      { name: "policy/lib", mutate: ["policy/lib/**/*.ts"] },
    ],
    // The policies run in-process on rendered and hand-made resources; the tests that start the CLI or a
    // policy server in another process are left out (a mutant is active only in Stryker's own test process).
    specs: [
      "policy/test/check.test.ts",
      "policy/test/credentials.test.ts",
      "policy/test/infra-policies.test.ts",
      "policy/test/lib.test.ts",
      "policy/test/malformed-resources.test.ts",
      "policy/test/offline.test.ts",
      "policy/test/pack-config.test.ts",
      "policy/test/redis-policy.test.ts",
      "policy/test/rollout-and-auth-policies.test.ts",
      "policy/test/stack-policy.test.ts",
      "policy/test/workload-policies.test.ts",
    ],
    // 260 of the 1,293 mutants are static, at about 20 s each on two cores: over an hour for descriptions.
    ignoreStatic: true,
  },
];

/** Stryker's statuses, as in its mutation-testing report schema. */
export type MutantStatus = "Killed" | "Survived" | "NoCoverage" | "Timeout" | "CompileError" | "RuntimeError" | "Ignored" | "Pending";

export interface MutantOutcome {
  /** Project-relative path of the mutated file. */
  file: string;
  status: MutantStatus;
  mutatorName: string;
  replacement: string;
  line: number;
  column: number;
}

export interface TargetScore {
  target: string;
  killed: number;
  timeout: number;
  survived: number;
  noCoverage: number;
  /** Mutants that broke the test run itself (RuntimeError) or did not compile: not counted in the score. */
  errors: number;
  /** (killed + timeout) / (killed + timeout + survived + noCoverage), in percent; NaN without mutants. */
  score: number;
  survivors: MutantOutcome[];
}

/** Whether a project-relative file belongs to a target (a file, or a folder's files at any depth). */
export function inTarget(file: string, target: MutationTarget): boolean {
  return target.mutate.some((glob) => {
    const base = glob.replace(/\/\*\*\/\*\.ts$/, "/");
    return base.endsWith("/") ? file.startsWith(base) && file.endsWith(".ts") : file === glob;
  });
}

export function scoreTargets(targets: MutationTarget[], mutants: MutantOutcome[]): TargetScore[] {
  return targets.map((target) => {
    const mine = mutants.filter((m) => inTarget(m.file, target));
    const count = (...statuses: MutantStatus[]) => mine.filter((m) => statuses.includes(m.status)).length;
    const killed = count("Killed");
    const timeout = count("Timeout");
    const survived = count("Survived");
    const noCoverage = count("NoCoverage");
    const valid = killed + timeout + survived + noCoverage;
    return {
      target: target.name,
      killed,
      timeout,
      survived,
      noCoverage,
      errors: count("CompileError", "RuntimeError"),
      score: valid === 0 ? NaN : (100 * (killed + timeout)) / valid,
      survivors: mine
        .filter((m) => m.status === "Survived" || m.status === "NoCoverage")
        .sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column),
    };
  });
}
