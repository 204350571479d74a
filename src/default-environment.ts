/** The environment of a manifest with no `environments:` section, and of `--env` left out. */
export const DEFAULT_ENVIRONMENT = 'default';
