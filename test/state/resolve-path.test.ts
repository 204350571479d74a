import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/cli/option-parsers.js';
import { resolveStatePath } from '../../src/state/resolve-path.js';

describe('resolveStatePath', () => {
  it('puts the state beside the manifest, one file per environment, "default" when none is named', () => {
    expect(resolveStatePath({ cwd: '/repo', manifestFile: 'assistants.yaml' })).toBe('/repo/.assistants/state/default.json');
    expect(resolveStatePath({ cwd: '/repo', manifestFile: 'infra/bots.yaml', env: 'prod' })).toBe('/repo/infra/.assistants/state/prod.json');
    expect(resolveStatePath({ cwd: '/repo', manifestFile: '/abs/a.yaml', env: 'staging' })).toBe('/abs/.assistants/state/staging.json');
  });

  it('uses --state as given, relative to the working folder', () => {
    expect(resolveStatePath({ cwd: '/repo', manifestFile: 'x/a.yaml', env: 'prod', statePath: 'states/p.json' })).toBe('/repo/states/p.json');
    expect(resolveStatePath({ cwd: '/repo', manifestFile: 'a.yaml', statePath: '/var/s.json' })).toBe('/var/s.json');
  });

  it('refuses an environment name that is not a plain file name', () => {
    for (const env of ['../prod', 'a/b', '', '.hidden']) {
      expect(() => resolveStatePath({ cwd: '/repo', manifestFile: 'a.yaml', env })).toThrow(/an environment name is letters/);
    }
  });
});

describe('parseDuration', () => {
  it('reads ms, s, m, h and bare seconds', () => {
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('1.5s')).toBe(1_500);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('10')).toBe(10_000);
  });

  it('refuses anything else with a usage error naming the flag', () => {
    expect(() => parseDuration('soon')).toThrow('--lock-timeout "soon": expected a duration such as 0, 500ms, 30s, 5m or 1h');
    expect(() => parseDuration('-1s')).toThrow(/--lock-timeout/);
  });
});
