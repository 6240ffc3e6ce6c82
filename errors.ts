/**
 * Named errors. A leaf module: every folder may import it, it imports nothing.
 *
 * An `InputError` is the user's to fix (bad flag, missing file, corrupt data, infeasible budget): the CLI prints its
 * one-line message and exits with code 2, no stack trace. Anything else is an internal failure: exit code 1.
 * Messages say what was wrong and what to do, in one line.
 */
export class InputError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A dataset folder or file is missing, unreadable or corrupt. */
export class DataError extends InputError {}

/** A model file is missing or corrupt, or the model does not fit the data. */
export class ModelError extends InputError {}

/** A budget no strategy can meet. */
export class BudgetError extends InputError {}

/** A strategy file that is malformed, out of range, or for another model. */
export class StrategyError extends InputError {}

/** A flag or config value out of range, or an argument a function cannot accept. */
export class ConfigError extends InputError {}

/** A run id that does not exist in the store, or a run that cannot be resumed. */
export class RunNotFoundError extends InputError {}

export function isInputError(e: unknown): e is InputError {
  return e instanceof InputError;
}
