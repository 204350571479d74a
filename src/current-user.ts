/** The name of the user this process runs as (a lock's holder, libpq's default database user). */
import { userInfo } from 'node:os';

export function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env['USER'] ?? process.env['USERNAME'] ?? 'unknown';
  }
}
