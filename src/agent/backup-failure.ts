import type { Failure } from '../contracts/index.js';

/** Ends a backup with a failure from the contract; anything else thrown is a bug. */
export class BackupFailure extends Error {
  override readonly name = 'BackupFailure';
  constructor(
    readonly failure: Failure,
    options?: { cause?: unknown },
  ) {
    super(failure.message, options);
  }
}
