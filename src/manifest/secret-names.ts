/**
 * Names that say a value is a secret. A variable named like one must be declared
 * `sensitive: true`: the CI secret a workflow passes as ASSISTANTS_VAR_db_password is
 * then shown as (sensitive) whatever a pull request does to the manifest, because the
 * name, which the workflow chose, decides.
 */

/** Words that mark a secret, matched against each word of a name. */
const SECRET_WORDS = new Set([
  'key', 'keys', 'apikey', 'privkey',
  'token', 'tokens',
  'secret', 'secrets',
  'password', 'passwords', 'passwd', 'pass', 'passphrase', 'pwd',
  'conn', 'connection', 'connstr',
  'credential', 'credentials', 'cred', 'creds',
  'auth', 'oauth', 'bearer', 'jwt', 'cookie', 'session',
  'dsn', 'cert', 'private', 'signature', 'salt', 'otp', 'webhook',
]);

/** Endings that mark a secret inside one lowercase word: `apitoken`, `accesskey`, `dbpassword`. */
const SECRET_ENDINGS = ['key', 'token', 'secret', 'password', 'passwd', 'credentials'];

/** The words of a name: split at `_`, `-`, `.`, digits and lower-to-upper case changes. */
function wordsOf(name: string): string[] {
  return name
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[^A-Za-z]+/)
    .filter((w) => w !== '')
    .map((w) => w.toLowerCase());
}

/** The word that makes `name` look like a secret's, or null. */
export function secretWordIn(name: string): string | null {
  for (const word of wordsOf(name)) {
    if (SECRET_WORDS.has(word)) return word;
    const ending = SECRET_ENDINGS.find((e) => word.endsWith(e));
    if (ending !== undefined) return ending;
  }
  return null;
}
