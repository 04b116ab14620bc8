import { strict as assert } from "assert";
import { InvalidResourceError, ValidationError } from "../../components/validation";

/**
 * The problems a validation reports: a ValidationError (input checked before any resource exists) or an
 * InvalidResourceError (a component's, raised as a pulumi.ResourceError on it). Fails the test if it passes or
 * throws something else.
 */
export function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError || error instanceof InvalidResourceError) return error.problems;
    throw error;
  }
  assert.fail("expected a ValidationError or an InvalidResourceError");
}
