/** Adoption when the recorded object is gone but another one carries the key's tag. */
import { describe, expect, it } from 'vitest';
import { liveAssistant, plan, syncedWorld, tag } from './world.js';

describe('createPlan: a recorded assistant deleted outside, with a tagged copy left', () => {
  it('adopts the tagged copy instead of creating a third and deleting the copy', () => {
    const world = syncedWorld();
    const recorded = world.live.assistants.find((a) => a.id === 'asst_sales')!;
    // The recorded one is gone; a duplicate left by a retried create carries the tag.
    world.live.assistants = world.live.assistants.filter((a) => a.id !== 'asst_sales');
    world.live.assistants.push(liveAssistant('asst_sales_copy', { ...recorded, id: 'asst_sales_copy', metadata: { ...recorded.metadata, ...tag('sales') } }));
    const p = plan(world);
    const sales = p.assistants.filter((a) => a.key === 'sales');
    expect(sales).toEqual([expect.objectContaining({ action: 'no-op', reason: 'adopt', id: 'asst_sales_copy' })]);
    expect(p.summary).toMatchObject({ add: 0, change: 0, destroy: 0 });
  });
});
