/**
 * The plan as human text, like Terraform's. It reads the plan in its JSON form (the
 * value `renderJson` prints), so the text and `--json` cannot drift apart.
 */
import pc from 'picocolors';
import type { Plan } from '../plan/types.js';
import { contextLine, legendEntries, objectBlocks, summaryLines } from './blocks.js';
import type { Line, ObjectBlock, Sign } from './lines.js';
import { planJsonValue } from '../plan/plan-json.js';

export interface TextOptions {
  /** ANSI colour; the caller decides (a TTY, and neither NO_COLOR nor CI). */
  color: boolean;
}

type Colors = ReturnType<typeof pc.createColors>;

export function renderText(plan: Plan, options: TextOptions): string {
  const data = planJsonValue(plan);
  const c = pc.createColors(options.color);
  const blocks = objectBlocks(data);
  const changed = blocks.filter((b) => b.sign !== null);
  const out: string[] = [visible(contextLine(data))];
  if (data.targets.length > 0) {
    out.push(
      c.yellow(`Targeting is in effect: only ${data.targets.map((t) => JSON.stringify(t)).join(', ')} planned; the plan may be incomplete.`),
    );
  }
  out.push('');

  if (changed.length > 0 && data.mode !== 'refresh-only') {
    out.push('Actions are shown with these symbols:');
    for (const { sign, meaning } of legendEntries(changed)) out.push(`${signText(sign, c)} ${meaning}`);
    out.push('');
    out.push(
      data.mode === 'destroy'
        ? `assistants will destroy everything project "${data.project}" owns in environment "${data.environment}":`
        : 'assistants will perform the following actions:',
    );
    out.push('');
  } else if (changed.length > 0) {
    out.push('Objects have changed outside of assistants:');
    out.push('');
  }

  for (const block of blocks) out.push(...blockText(block, c), '');

  for (const summary of summaryLines(data, blocks)) out.push(c.bold(summary));
  for (const note of data.notes) {
    const label = note.level === 'warning' ? c.yellow(c.bold('Warning:')) : c.bold('Note:');
    out.push('', `${label} ${visible(`${note.key === null ? '' : `${note.key}: `}${note.message}`)}`);
  }
  return `${out.join('\n')}\n`;
}

/** Blocks of another document than a plan (an environment diff), each followed by a blank line. */
export function textBlocks(blocks: ObjectBlock[], options: TextOptions): string[] {
  const c = pc.createColors(options.color);
  return blocks.flatMap((block) => [...blockText(block, c), '']);
}

function blockText(block: ObjectBlock, c: Colors): string[] {
  const headline = c.bold(`  # ${visible(block.headline)}`);
  return [headline, ...block.lines.map((l) => lineText(l, c))];
}

function lineText(line: Line, c: Colors): string {
  const indent = ' '.repeat(line.depth * 4);
  const plain = visible(line.text);
  const text = line.tone === 'hunk' ? c.cyan(plain) : line.tone === 'comment' ? c.dim(plain) : plain;
  if (line.sign === null) return line.text === '' ? '' : `${indent}    ${text}`;
  const sign = signText(line.sign, c);
  return line.text === '' ? `${indent}${sign}` : `${indent}${sign} ${text}`;
}

/** The sign, right-aligned in three columns, coloured: green +, yellow ~, red -. */
function signText(sign: Sign, c: Colors): string {
  switch (sign) {
    case '+':
      return `  ${c.green('+')}`;
    case '~':
      return `  ${c.yellow('~')}`;
    case '-':
      return `  ${c.red('-')}`;
    case '-/+':
      return `${c.red('-')}/${c.green('+')}`;
  }
}

/**
 * User text with its control characters (ANSI escapes, carriage returns) shown as `\u....`
 * escapes, so that nothing in a plan can colour, move or hide text on the terminal.
 */
export function visible(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
