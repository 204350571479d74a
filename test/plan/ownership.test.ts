/** Which live assistants are tagged for which key, and which of a key's several is the oldest. */
import { describe, expect, it } from 'vitest';
import type { AssistantObject } from '../../src/api/index.js';
import { taggedByKey, withTag } from '../../src/plan/ownership.js';

const scope = { project: 'shop', environment: 'prod' };

function live(id: string, createdAt: number, key: string | null, environment = 'prod'): AssistantObject {
  const metadata = key === null ? { team: 'care' } : withTag({}, { project: 'shop', environment, key });
  return { id, object: 'assistant', createdAt, name: null, description: null, model: 'gpt-4', instructions: null, tools: [], fileIds: [], metadata };
}

describe('taggedByKey', () => {
  it("groups this scope's assistants by key, each key's list oldest first (ties by id), whatever order the listing gave", () => {
    const listing = [
      live('asst_c', 300, 'support'),
      live('asst_x', 100, 'sales'),
      live('asst_b', 200, 'support'),
      live('asst_untagged', 50, null),
      live('asst_staging', 10, 'support', 'staging'),
      live('asst_B', 200, 'support'),
      live('asst_a', 200, 'support'),
    ];
    const byKey = taggedByKey(listing, scope);
    expect([...byKey.keys()].sort()).toEqual(['sales', 'support']);
    expect(byKey.get('sales')?.map((a) => a.id)).toEqual(['asst_x']);
    // Same second: by id, as String#localeCompare orders them.
    expect(byKey.get('support')?.map((a) => a.id)).toEqual(['asst_a', 'asst_b', 'asst_B', 'asst_c']);
  });
});
