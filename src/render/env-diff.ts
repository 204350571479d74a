/**
 * An environment diff (plan/env-diff.ts) as text, JSON and Markdown, drawn with the plan's
 * blocks: each assistant that differs is an in-place update from the first environment
 * to the second, intended differences in one section, the rest in another.
 */
import type { EnvironmentDiff, PartDifference } from '../plan/env-diff.js';
import { asFieldChanges } from '../plan/env-diff.js';
import { PLAN_FORMAT_VERSION, type AssistantChange, type AssistantView, type Plan } from '../plan/types.js';
import { objectBlocks } from './blocks.js';
import type { ObjectBlock } from './lines.js';
import { escapeMarkdown, markdownBlocks } from './markdown.js';
import { textBlocks, visible, type TextOptions } from './text.js';

const EMPTY_VIEW: AssistantView = { model: '', name: null, description: null, instructions: null, tools: [], files: [], metadata: {} };

/** The plan the blocks are drawn from: one update per assistant, with the differences of one kind. */
function blocksOf(diff: EnvironmentDiff, intended: boolean): ObjectBlock[] {
  const changes: AssistantChange[] = [];
  const presence: ObjectBlock[] = [];
  for (const assistant of diff.assistants) {
    if (assistant.presence !== 'both') {
      if (intended) continue;
      const where = assistant.presence === 'from-only' ? diff.from : diff.to;
      const subject = `assistant "${assistant.key}"`;
      presence.push({ kind: 'assistant', key: assistant.key, sign: null, action: 'drift', headline: `${subject} is deployed in ${where} only`, reason: `only in ${where}`, fields: [], lines: [] });
      continue;
    }
    const differences = assistant.differences.filter((d: PartDifference) => d.intended === intended);
    if (differences.length === 0) continue;
    const fieldChanges = asFieldChanges(differences);
    changes.push({
      key: assistant.key,
      action: 'update',
      reason: 'changed-in-manifest',
      id: null,
      before: EMPTY_VIEW,
      after: EMPTY_VIEW,
      changes: fieldChanges.map(({ field, before, after }) => ({ field, before, after, cause: 'manifest' })),
      ignored: [],
      sensitive: fieldChanges.flatMap((change) => change.sensitive).map((path) => ({ path, changed: true })),
    });
  }
  const plan: Plan = {
    formatVersion: PLAN_FORMAT_VERSION,
    toolVersion: '',
    createdAt: '',
    mode: 'normal',
    manifest: '',
    project: diff.project,
    environment: diff.to,
    endpoint: '',
    targets: [],
    files: [],
    assistants: changes,
    notes: [],
    summary: { add: 0, change: changes.length, destroy: 0, filesUpload: 0, filesDelete: 0 },
    planHash: '',
    prior: { manifestHash: '', lineage: null, serial: null, liveFingerprints: {} },
  };
  const blocks = objectBlocks(plan).map((block) => ({
    ...block,
    headline: `assistant "${block.key}": ${diff.from} -> ${diff.to}`,
    reason: intended ? 'declared per environment' : diff.mode === 'live' ? 'drift, or not promoted yet' : 'not declared per environment',
    // No id (two environments, not one object), and no count of the fields left out (they may differ in the other section).
    lines: block.lines.filter((line) => !/^id\s+= /.test(line.text) && !/^# \(\d+ unchanged/.test(line.text)),
  }));
  return [...blocks, ...presence];
}

function title(diff: EnvironmentDiff): string {
  const how = diff.mode === 'live' ? 'as deployed (their states and the server)' : 'as the manifest resolves them';
  return `Project "${diff.project}", environments "${diff.from}" -> "${diff.to}", ${how}`;
}

const INTENDED = 'Intended differences (declared per environment in the manifest):';
function otherHeading(diff: EnvironmentDiff): string {
  return diff.mode === 'live'
    ? 'Other differences (not declared per environment: changed by hand, or not promoted yet):'
    : 'Other differences (not declared per environment: values given by --var or ASSISTANTS_VAR_*):';
}

export function summaryLine(diff: EnvironmentDiff): string {
  const { intended, other } = diff.summary;
  if (intended + other === 0) return `No differences: "${diff.from}" and "${diff.to}" are the same.`;
  const count = diff.assistants.length;
  return `Diff: ${count} ${count === 1 ? 'assistant differs' : 'assistants differ'}: ${intended} intended ${intended === 1 ? 'difference' : 'differences'}, ${other} other.`;
}

export function renderDiffText(diff: EnvironmentDiff, options: TextOptions): string {
  const out = [visible(title(diff)), ''];
  for (const [heading, blocks] of [
    [INTENDED, blocksOf(diff, true)],
    [otherHeading(diff), blocksOf(diff, false)],
  ] as const) {
    if (blocks.length === 0) continue;
    out.push(heading, '', ...textBlocks(blocks, options));
  }
  out.push(summaryLine(diff));
  return `${out.join('\n')}\n`;
}

export function renderDiffMarkdown(diff: EnvironmentDiff): string {
  const sections = [`**${escapeMarkdown(summaryLine(diff))}**`, escapeMarkdown(title(diff))];
  for (const [heading, blocks] of [
    [INTENDED, blocksOf(diff, true)],
    [otherHeading(diff), blocksOf(diff, false)],
  ] as const) {
    if (blocks.length > 0) sections.push(`**${escapeMarkdown(heading)}**`, markdownBlocks(blocks));
  }
  return `${sections.join('\n\n')}\n`;
}

export function renderDiffJson(diff: EnvironmentDiff): string {
  return `${JSON.stringify(diff, null, 2)}\n`;
}
