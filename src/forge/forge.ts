/**
 * What the comment logic needs from a code forge, for one pull request, merge request or
 * issue: its comments, and its labels. GitHub and GitLab each implement it over their
 * REST API.
 */
export interface ForgeComment {
  id: number;
  body: string;
}

/** Where comments go: a pull/merge request, or an issue (a drift check's tracking issue). */
export interface ForgeTarget {
  kind: 'pull' | 'issue';
  number: number;
}

export interface Forge {
  /** `GitHub` or `GitLab`, for messages. */
  readonly platform: string;
  /** The longest comment body the platform accepts, in characters. */
  readonly commentLimit: number;
  /** How the target is named in messages: `pull request #12`, `merge request !12`, `issue #3`. */
  readonly targetName: string;
  /** Every comment on the target, oldest first (system notes left out). */
  listComments(): Promise<ForgeComment[]>;
  createComment(body: string): Promise<ForgeComment>;
  updateComment(id: number, body: string): Promise<void>;
  deleteComment(id: number): Promise<void>;
  /** The target's label names. */
  listLabels(): Promise<string[]>;
  /** Adds `add` (creating it with `color` where the platform needs that) and takes `remove` off. */
  changeLabels(add: string, color: string, remove: string[]): Promise<void>;
  /** A link to a comment, for messages and outputs. */
  commentUrl(id: number): string;
}

/** The most pages of comments read: 100 a page, 10,000 comments. */
export const MAX_COMMENT_PAGES = 100;
