import { ValidationError } from "../components/validation";

/** The exit codes of `npm run render` and `npm run policy`: one contract for both (README, "Exit codes"). */
export const EXIT = {
  /** Done; for the policy check: no mandatory policy violated. */
  ok: 0,
  /** The policy check only: at least one mandatory policy is violated. */
  violation: 1,
  /** Invalid input or usage: arguments, files, config, an `--out` folder the render may not write to. Nothing written. */
  invalidInput: 2,
  /** An unexpected error: a bug. Nothing written. */
  internalError: 3,
} as const;

/** Input the user can fix: bad arguments, unreadable files, an `--out` folder that is not the render's. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InputError";
  }
}

export function isInputError(error: unknown): boolean {
  return error instanceof InputError || error instanceof ValidationError;
}

/**
 * Prints an error as both commands do, on stderr, and returns its exit code: input errors with their
 * message only, anything else as a bug with its stack.
 */
export function reportError(error: unknown, printError: (text: string) => void, what: string): number {
  if (isInputError(error)) {
    printError(`${what}:\n${(error as Error).message}`);
    return EXIT.invalidInput;
  }
  printError(`${what}, internal error (a bug: please report it with this output):\n${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return EXIT.internalError;
}
