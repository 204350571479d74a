/**
 * What went wrong talking to GitHub or GitLab, as a value: a kind the caller can act on
 * (a fork's read-only token is a notice, not a failure) and one line to show. The line
 * never holds the token: everything a server says passes through `scrub` first.
 */
export type ForgeErrorKind =
  /** 401: the token is not accepted. */
  | 'unauthorized'
  /** 403: the token may not do this (a missing permission or scope). */
  | 'forbidden'
  /** 404: no such repository, project, pull request or comment, or the token cannot see it. */
  | 'not-found'
  /** 400/422: the request was refused as invalid (a body too long, say). */
  | 'invalid'
  /** 403/429 with a rate limit that did not clear in time. */
  | 'rate-limited'
  /** 5xx, or an answer we cannot read. */
  | 'server'
  /** No answer: refused, reset, timed out. */
  | 'network'
  /** Not in a CI job we can comment from, or missing what it needs (a token, a pull request). */
  | 'not-configured';

export class ForgeError extends Error {
  override readonly name = 'ForgeError';
  constructor(
    readonly kind: ForgeErrorKind,
    message: string,
    /** The HTTP status, when there was an answer. */
    readonly status: number | null = null,
    /** The answer's headers (GitHub names a missing permission in one). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/** `text` with every occurrence of `secret` replaced (secrets shorter than 4 characters are not looked for). */
export function scrub(text: string, secret: string): string {
  return secret.length >= 4 ? text.split(secret).join('[redacted]') : text;
}
