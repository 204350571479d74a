/** The CI options are checked before anything runs: a typo is an error, not a plan followed by one. */
import { describe, expect, it } from 'vitest';
import { repositoryPath } from '../../src/cli/annotations.js';
import { commentRequest } from '../../src/cli/ci-integration.js';

describe('commentRequest', () => {
  it('reads --comment, --comment=new, --comment-issue, --comment-required and --label', () => {
    expect(commentRequest({})).toBeNull();
    expect(commentRequest({ comment: true })).toEqual({ mode: 'update', issue: undefined, required: false, label: false });
    expect(commentRequest({ comment: 'new', commentIssue: '12', commentRequired: true, label: true })).toEqual({ mode: 'new', issue: 12, required: true, label: true });
  });

  it.each([
    [{ comment: 'bogus' }, '--comment=bogus: give update (the default) or new.'],
    [{ comment: true, commentIssue: 'abc' }, '--comment-issue "abc": give the issue\'s number.'],
    [{ comment: true, commentIssue: '0' }, '--comment-issue "0": give the issue\'s number.'],
    [{ label: true }, '--label goes with --comment: the label is set on the pull request commented on.'],
    [{ commentIssue: '3' }, '--comment-required and --comment-issue go with --comment.'],
  ])('refuses %j with one line', (options, message) => {
    expect(() => commentRequest(options)).toThrow(message);
  });
});

describe('repositoryPath', () => {
  it('is the file relative to the repository with / separators, or as given outside it', () => {
    expect(repositoryPath('/work/repo/deploy/assistants.yaml', '/work/repo')).toBe('deploy/assistants.yaml');
    expect(repositoryPath('deploy/assistants.yaml', '/work/repo')).toBe('deploy/assistants.yaml');
    expect(repositoryPath('/elsewhere/a.yaml', '/work/repo')).toBe('/elsewhere/a.yaml');
  });
});
