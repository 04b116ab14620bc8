import { strict as assert } from "assert";
import { ValidationError } from "../../components/validation";

/** The problems a validation reports; fails the test if it passes or throws something else. */
export function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return error.problems;
    throw error;
  }
  assert.fail("expected a ValidationError");
}
