/**
 * Recording a test run in the environment's state: per assistant tested, the content it
 * talked to, the release that content was (when tested as applied) and the outcome
 * (`testResults`). Promotion reads these.
 */
import { dictionary, dictionaryOf, ownEntry } from '../dictionary.js';
import { hashValue } from '../plan/hash.js';
import type { StateFile, TestRecord } from '../state/types.js';
import type { TestEntry } from './report.js';
import type { TestedAssistant } from './targets.js';

export interface RecordMeta {
  manifestHash: string;
  testedAt: string;
  toolVersion: string;
}

/**
 * A record for each assistant all of whose tests that were run came to an outcome (none
 * skipped by an interrupt), and whose content is known (a state was at hand).
 */
export function testRecords(entries: readonly TestEntry[], tested: ReadonlyMap<string, TestedAssistant>, meta: RecordMeta): Record<string, TestRecord> {
  const byAssistant = new Map<string, TestEntry[]>();
  for (const entry of entries) byAssistant.set(entry.assistant, [...(byAssistant.get(entry.assistant) ?? []), entry]);
  const records = dictionary<TestRecord>();
  for (const [key, ran] of byAssistant) {
    const found = tested.get(key);
    if (found === undefined || found.fields === null || ran.some((entry) => entry.outcome === 'skipped')) continue;
    const tests = dictionary(ran.map((entry) => [entry.name, entry.outcome === 'passed' ? 'passed' : 'failed'] as const));
    records[key] = {
      id: found.id,
      fields: found.fields,
      contentHash: hashValue(found.fields),
      asApplied: found.asApplied,
      outcome: Object.values(tests).every((outcome) => outcome === 'passed') ? 'passed' : 'failed',
      tests,
      manifestHash: meta.manifestHash,
      testedAt: meta.testedAt,
      toolVersion: meta.toolVersion,
    };
  }
  return records;
}

/**
 * `state` with these records in place of the ones it had for the same assistants. A record
 * of an assistant tested as applied names the release it tested (its promotable hash).
 */
export function withTestResults(state: StateFile, records: Readonly<Record<string, TestRecord>>): StateFile {
  const results = dictionaryOf(state.testResults ?? {});
  for (const [key, record] of Object.entries(records)) {
    const release = ownEntry(state.releases, key);
    results[key] = record.asApplied && release?.id === record.id ? { ...record, promotable: release.promotable } : record;
  }
  return { ...state, testResults: results };
}
