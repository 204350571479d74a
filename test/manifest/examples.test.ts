import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadManifest, type DesiredState } from '../../src/manifest/index.js';

const root = resolve(import.meta.dirname, '../..');

async function load(example: string, env?: string): Promise<DesiredState> {
  const result = await loadManifest({ file: `examples/${example}/assistants.yaml`, cwd: root, env, processEnv: {} });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  expect(result.warnings).toEqual([]);
  return result.desired;
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(resolve(root, path))).digest('hex');
}

describe('examples/quickstart', () => {
  it('is one assistant with retrieval over one hashed file', async () => {
    const desired = await load('quickstart');
    expect(desired.project).toBe('quickstart');
    expect(desired.environment).toBe('default');
    expect(desired.manifestPath).toBe(resolve(root, 'examples/quickstart/assistants.yaml'));
    expect(desired.manifestHash).toMatch(/^[0-9a-f]{64}$/);
    expect(desired.files).toEqual({
      faq: {
        name: 'faq',
        path: resolve(root, 'examples/quickstart/faq.md'),
        filename: 'faq.md',
        bytes: readFileSync(resolve(root, 'examples/quickstart/faq.md')).length,
        sha256: sha256('examples/quickstart/faq.md'),
      },
    });
    expect(desired.assistants).toEqual({
      helper: {
        key: 'helper',
        spec: {
          model: 'gpt-4-turbo',
          name: 'FAQ helper',
          description: 'Answers questions about our product from the FAQ.',
          instructions:
            'You answer questions about Acme Widgets using the attached FAQ.\nIf the FAQ does not cover a question, say so and suggest contacting support.\n',
          tools: [{ type: 'retrieval' }],
          metadata: { team: 'docs' },
        },
        files: ['faq'],
        sensitive: [],
        lifecycle: { preventDestroy: false, ignoreChanges: [] },
        // One environment: nothing differs per environment, every attached file is promoted by content.
        promotable: { hash: expect.stringMatching(/^[0-9a-f]{64}$/), fields: expect.any(Object), files: { faq: sha256('examples/quickstart/faq.md') }, environmentSpecific: [] },
        source: { file: resolve(root, 'examples/quickstart/assistants.yaml'), line: 15, column: 3 },
      },
    });
  });
});

describe('examples/environments', () => {
  const instructions = readFileSync(resolve(root, 'examples/environments/prompts/triage.md'), 'utf8');

  it.each([
    ['dev', 'gpt-3.5-turbo', 'Ticket triage (dev)', 'Routes customer tickets to the right team (dev).', { team: 'support', environment: 'dev' }, false],
    ['staging', 'gpt-4-turbo', 'Ticket triage (staging)', 'Routes customer tickets to the right team (staging).', { team: 'support', environment: 'staging' }, false],
    ['prod', 'gpt-4', 'Ticket triage', 'Routes customer tickets to the right team.', { team: 'support', environment: 'prod', oncall: 'support-primary' }, true],
  ] as const)('resolves %s', async (env, model, name, description, metadata, preventDestroy) => {
    const desired = await load('environments', env);
    expect(desired.environment).toBe(env);
    expect(desired.project).toBe('support-desk');
    const triage = desired.assistants.triage;
    expect(triage?.spec).toEqual({ model, name, description, instructions, tools: [{ type: 'retrieval' }], metadata });
    expect(triage?.lifecycle).toEqual({ preventDestroy, ignoreChanges: ['description'] });
    expect(triage?.files).toEqual(['runbook']);
    expect(Object.keys(desired.files)).toEqual(['runbook']);
  });

  it('hashes each environment differently, and the same one the same way every time', async () => {
    const [dev, prod, devAgain] = await Promise.all([load('environments', 'dev'), load('environments', 'prod'), load('environments', 'dev')]);
    expect(dev.manifestHash).not.toBe(prod.manifestHash);
    expect(devAgain.manifestHash).toBe(dev.manifestHash);
  });
});

describe('examples/functions', () => {
  it('has two function tools with parameters from JSON files, and retrieval over two files', async () => {
    const desired = await load('functions');
    const readJson = (path: string): unknown => JSON.parse(readFileSync(resolve(root, 'examples/functions', path), 'utf8'));
    const planner = desired.assistants.planner;
    expect(planner?.spec.tools).toEqual([
      { type: 'retrieval' },
      {
        type: 'function',
        function: { name: 'get_weather', description: 'Current weather and a three-day forecast for a city.', parameters: readJson('tools/get_weather.json') },
      },
      {
        type: 'function',
        function: { name: 'book_flight', description: 'Books a flight; call only after the user confirms.', parameters: readJson('tools/book_flight.json') },
      },
    ]);
    expect(planner?.spec.model).toBe('gpt-4-turbo');
    expect(planner?.files).toEqual(['policy', 'cities']);
    expect(planner?.lifecycle).toEqual({ preventDestroy: true, ignoreChanges: [] });
    expect(Object.values(desired.files).map((f) => [f.name, f.filename, f.sha256])).toEqual([
      ['cities', 'cities.md', sha256('examples/functions/docs/cities.md')],
      ['policy', 'travel-policy.md', sha256('examples/functions/docs/travel-policy.md')],
    ]);
  });
});
