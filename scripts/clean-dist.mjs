// Empties dist/ before a build, so a module removed from src/ is not left behind in it
// (nor shipped by npm pack).
import { rmSync } from 'node:fs';

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
