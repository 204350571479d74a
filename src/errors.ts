/**
 * Errors a user can cause: a stable code and a one-line message that says where the
 * problem is and how to fix it. Only `cli/main.ts` turns them into text and exit codes.
 */
export type UserErrorCode =
  | 'USAGE'
  | 'MANIFEST_INVALID'
  | 'CONFIG'
  | 'STATE'
  | 'STALE_PLAN'
  | 'PREVENT_DESTROY'
  | 'APPLY_FAILED'
  | 'LOCK_HELD'
  | 'COMMENT'
  | 'PROMOTION'
  | 'INTERRUPTED';

export class UserError extends Error {
  override readonly name = 'UserError';
  constructor(
    readonly code: UserErrorCode,
    message: string,
    /** Extra lines printed after the message (for example every manifest error). */
    readonly details: readonly string[] = [],
  ) {
    super(message);
  }
}

/** Exit codes as documented: 1 error, 3 lock held, 130 interrupted. */
export function exitCodeFor(error: UserError): number {
  switch (error.code) {
    case 'LOCK_HELD':
      return 3;
    case 'INTERRUPTED':
      return 130;
    default:
      return 1;
  }
}
