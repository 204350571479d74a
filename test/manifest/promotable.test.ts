/**
 * The promotable content of an assistant: what differs per environment is set aside by a
 * rule read off the whole manifest, so every environment hashes the rest the same way.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DesiredState } from '../../src/manifest/types.js';
import { folderWith, loadIn } from './helpers.js';

const MANIFEST = `version: 1
project: shop
variables:
  model: { default: gpt-4 }
  tone: { default: friendly }
  token: { default: abc, sensitive: true }
environments:
  staging:
    variables: { model: gpt-4-turbo }
    files:
      catalog: { path: staging-catalog.md }
  prod:
    assistants:
      helper:
        description: Production helper.
        metadata: { oncall: ops }
files:
  guide: { path: guide.md }
  catalog: { path: catalog.md }
assistants:
  helper:
    name: Helper in \${environment}
    model: \${var.model}
    instructions: Be \${var.tone}.
    description: A helper.
    files: [guide, catalog]
    tools: [{ type: retrieval }]
    metadata: { team: cx, key: "\${var.token}" }
  plain:
    model: gpt-4
    instructions_file: plain.md
`;

async function load(dir: string, env: string): Promise<DesiredState> {
  const result = await loadIn(dir, { env });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.desired;
}

describe('promotable content', () => {
  it('sets aside overlays, per-environment and sensitive variables, ${environment} and overridden files, the same parts in every environment', async () => {
    const dir = await folderWith({ 'assistants.yaml': MANIFEST, 'guide.md': 'Guide\n', 'catalog.md': 'A\n', 'staging-catalog.md': 'B\n', 'plain.md': 'Plain.\n' });
    const [staging, prod] = [await load(dir, 'staging'), await load(dir, 'prod')];
    const helper = staging.assistants['helper']!.promotable;
    expect(helper.environmentSpecific).toEqual(['description', 'metadata.key', 'metadata.oncall', 'model', 'name']);
    expect(Object.keys(helper.files)).toEqual(['guide']);
    expect(prod.assistants['helper']!.promotable).toEqual(helper);
    expect(staging.assistants['plain']!.promotable.environmentSpecific).toEqual([]);
    expect(prod.assistants['plain']!.promotable.hash).toBe(staging.assistants['plain']!.promotable.hash);
  });

  it('changes with the shared part: a variable no environment sets, an instructions file, an attached file', async () => {
    const dir = await folderWith({ 'assistants.yaml': MANIFEST, 'guide.md': 'Guide\n', 'catalog.md': 'A\n', 'staging-catalog.md': 'B\n', 'plain.md': 'Plain.\n' });
    const before = await load(dir, 'prod');
    const hashes = (desired: DesiredState): string[] => ['helper', 'plain'].map((key) => desired.assistants[key]!.promotable.hash);
    const [helper, plain] = hashes(before);
    await writeFile(join(dir, 'plain.md'), 'Plainer.\n');
    expect(hashes(await load(dir, 'prod'))).toEqual([helper, expect.not.stringMatching(plain!)]);
    await writeFile(join(dir, 'guide.md'), 'Guide 2\n');
    const afterGuide = await load(dir, 'prod');
    expect(afterGuide.assistants['helper']!.promotable.hash).not.toBe(helper);
    expect(afterGuide.assistants['helper']!.promotable.fields.instructions).toBe(before.assistants['helper']!.promotable.fields.instructions);
    // The catalog's content differs per environment: changing it changes nothing promotable.
    await writeFile(join(dir, 'catalog.md'), 'C\n');
    expect((await load(dir, 'prod')).assistants['helper']!.promotable.hash).toBe(afterGuide.assistants['helper']!.promotable.hash);
    const toned = await folderWith({ 'assistants.yaml': MANIFEST.replace('tone: { default: friendly }', 'tone: { default: terse }'), 'guide.md': 'Guide 2\n', 'catalog.md': 'A\n', 'staging-catalog.md': 'B\n', 'plain.md': 'Plain.\n' });
    const tonedHelper = (await load(toned, 'prod')).assistants['helper']!.promotable;
    expect(tonedHelper.fields.instructions).not.toBe(afterGuide.assistants['helper']!.promotable.fields.instructions);
  });
});
