import type { Failure } from '../contracts/index.js';

/** Ends a backup or restore with a failure from the contract; anything else thrown is a bug. */
export class JobFailure extends Error {
  override readonly name = 'JobFailure';
  constructor(
    readonly failure: Failure,
    options?: { cause?: unknown },
  ) {
    super(failure.message, options);
  }
}
