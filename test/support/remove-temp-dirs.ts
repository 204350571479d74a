/** Setup file: after each test file, remove the temp folders its tests made (`temp-dir.ts`). */
import { afterAll } from 'vitest';
import { removeTempDirs } from './temp-dir.js';

afterAll(removeTempDirs);
