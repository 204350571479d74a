/** Saved plans: read back with validation, and refused when what they were made from moved on. */
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPlanFile, stalePlanReason, writePlanFile } from '../../src/plan/planfile.js';
import { makeTempDir } from '../support/temp-dir.js';
import { desiredAssistant, liveAssistant, plan, syncedWorld, tag } from './world.js';

const ENDPOINT = 'http://127.0.0.1:4010/v1';

describe('stalePlanReason', () => {
  it('holds while nothing moved', () => {
    const world = syncedWorld();
    expect(stalePlanReason(plan(world), world.state, ENDPOINT, world.live)).toBeNull();
  });

  type World = ReturnType<typeof syncedWorld>;
  it.each<[string, (world: World) => string, RegExp]>([
    ['another endpoint', () => 'https://api.example.com/v1', /^it was made against http:\/\/127\.0\.0\.1:4010\/v1, not https:\/\/api\.example\.com\/v1$/],
    ['another state', (w) => ((w.state!.lineage = 'other'), ENDPOINT), /^the state found is not the one it was made from \(lineage other, the plan's .*\); give apply the same -f and --state as plan$/],
    ['a newer serial', (w) => ((w.state!.serial += 1), ENDPOINT), /^the state changed since \(serial \d+ -> \d+\)$/],
    ['an object changed', (w) => ((w.live.assistants.find((a) => a.id === 'asst_sales')!.name = 'x'), ENDPOINT), /^asst_sales was changed since$/],
    ['an object deleted', (w) => ((w.live.files = w.live.files.filter((f) => f.id !== 'file-faq')), ENDPOINT), /^file-faq was deleted since$/],
  ])('refuses after %s', (_name, moveOn, reason) => {
    const world = syncedWorld();
    const saved = plan(world);
    const endpoint = moveOn(world);
    expect(stalePlanReason(saved, world.state, endpoint, world.live)).toMatch(reason);
  });

  it('refuses when an assistant it would create has appeared since', () => {
    const world = syncedWorld();
    world.desired.assistants['new'] = desiredAssistant('new');
    const saved = plan(world);
    world.live.assistants.push(liveAssistant('asst_new', { metadata: tag('new') }));
    expect(stalePlanReason(saved, world.state, ENDPOINT, world.live)).toBe('asst_new was created for new since');
  });
});

describe('plan files', () => {
  it('are written with mode 0600 and read back equal', async () => {
    const path = join((await makeTempDir('planfile-')).dir, 'plan.json');
    const saved = plan(syncedWorld());
    await writePlanFile(path, saved);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readPlanFile(path)).toEqual(JSON.parse(JSON.stringify(saved)));
  });

  it.each([
    ['not JSON', '{', /is not a saved plan \(not JSON\)/],
    ['a newer format', JSON.stringify({ formatVersion: 9 }), /written by a newer version of assistants \(plan format 9\)/],
    ['an older format', JSON.stringify({ formatVersion: 1 }), /written by an older version of assistants \(plan format 1\); make it again with: assistants plan --out /],
    ['another shape', JSON.stringify({ formatVersion: 2 }), /is not a valid saved plan: the document is missing "toolVersion"/],
  ])('refuses %s with one line', async (_name, text, message) => {
    const path = join((await makeTempDir('planfile-')).dir, 'plan.json');
    await writeFile(path, text);
    await expect(readPlanFile(path)).rejects.toThrow(message);
  });
});
