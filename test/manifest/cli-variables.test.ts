/** `--var NAME=VALUE`: over the environment's value and the default; an undeclared name is an error. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic, loadManifest } from '../../src/manifest/index.js';
import { makeTempDir } from '../support/temp-dir.js';

const MANIFEST = `version: 1
project: p
variables:
  model:
    default: gpt-3.5-turbo
environments:
  default: {}
  prod:
    variables:
      model: gpt-4
assistants:
  a:
    model: \${var.model}
    name: "Uses \${var.model}"
`;

async function manifest(): Promise<string> {
  const { dir } = await makeTempDir('cli-vars-');
  await writeFile(join(dir, 'assistants.yaml'), MANIFEST);
  return dir;
}

describe('--var', () => {
  it('wins over the environment\'s value and the default, taken literally, and changes the manifest hash', async () => {
    const cwd = await manifest();
    const load = (env: string, variables?: Record<string, string>) => loadManifest({ file: 'assistants.yaml', cwd, env, processEnv: {}, variables });
    const plain = await load('default');
    const prod = await load('prod');
    const given = await load('prod', { model: 'gpt-4-turbo ${var.x}' });
    if (!plain.ok || !prod.ok || !given.ok) throw new Error('expected valid manifests');
    expect(plain.desired.assistants['a']?.spec.model).toBe('gpt-3.5-turbo');
    expect(prod.desired.assistants['a']?.spec.model).toBe('gpt-4');
    expect(given.desired.assistants['a']?.spec).toMatchObject({ model: 'gpt-4-turbo ${var.x}', name: 'Uses gpt-4-turbo ${var.x}' });
    expect(given.desired.manifestHash).not.toBe(prod.desired.manifestHash);
  });

  it('refuses a variable the manifest does not declare, with a suggestion', async () => {
    const cwd = await manifest();
    const result = await loadManifest({ file: 'assistants.yaml', cwd, processEnv: {}, variables: { modle: 'x' } });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((d) => formatDiagnostic(d, cwd))).toEqual([
      'assistants.yaml:1:1: --var modle: the manifest declares no variable "modle" under variables:, so it cannot be set; did you mean "model"?',
    ]);
  });
});
