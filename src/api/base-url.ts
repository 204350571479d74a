/**
 * What may be an API base URL. Apart from the configuration so that the command line can
 * check `--endpoint` without loading the HTTP client (validate never needs it).
 */
export const DEFAULT_BASE_URL = 'https://api.openai.com/v1';

export const NOT_A_URL = 'is not a URL: give one like https://api.example.com/v1';

/**
 * Why `value` cannot be an API base URL, as a phrase to follow its name, or null. A URL
 * with credentials, a query string or a fragment is refused: a key put there would be
 * printed in messages and recorded in plans and state. The phrase never repeats the value.
 */
export function baseUrlProblem(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return NOT_A_URL;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must use http or https';
  if (url.username !== '' || url.password !== '') return 'must not carry credentials (user:password@); put the key in OPENAI_API_KEY';
  // `?` and `#` cannot stand unencoded in the rest of a URL, so their presence is the test (`.../v1?` has an empty search).
  if (value.includes('?')) return 'must not carry a query string (?...): a key there would be printed and stored; put it in OPENAI_API_KEY';
  if (value.includes('#')) return 'must not carry a fragment (#...); give the API base URL alone';
  return null;
}
