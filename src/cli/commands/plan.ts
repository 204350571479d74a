/** `assistants plan`: show what apply would do; optionally save it for `apply PLANFILE`, post it to the pull request. */
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { UserError } from '../../errors.js';
import { terraformReport } from '../../forge/gitlab-reports.js';
import { planHasChanges } from '../../plan/planner.js';
import { planFileTargetProblem, writePlanFile } from '../../plan/planfile.js';
import { renderMarkdown } from '../../render/index.js';
import { writeFileAtomic } from '../../atomic-file.js';
import { readWithJournal } from '../../state/recover.js';
import { annotate, annotates, formatOption, type DiagnosticFormatOptions } from '../annotations.js';
import { commentOptions, commentRequest, markdownPartLength, postComment, writeGitHubStepResults, type CommentOptions } from '../ci-integration.js';
import { collect } from '../option-parsers.js';
import { addHelp } from '../help.js';
import type { CliIo } from '../io.js';
import { addOptions, ENDPOINT, LOCK, MANIFEST, STATE, type CommonOptions, type LockOptions, type StateOptions } from '../options.js';
import { makePlan, renderPlan } from '../planning.js';
import { gatePlan, promotionOptions, readPromotionSource, type PromotionOptions } from '../promotion.js';
import type { PlanResult } from '../../plan/planner.js';
import { checkDesired, checkStateBelongs, openSession } from '../session.js';
import { desiredScope, withStateBackend } from '../state-backend.js';

interface PlanOptions extends CommonOptions, StateOptions, LockOptions, CommentOptions, DiagnosticFormatOptions, PromotionOptions {
  out?: string;
  json?: boolean;
  markdown?: boolean;
  detailedExitcode?: boolean;
  target?: string[];
  replace?: string[];
  refreshOnly?: boolean;
  gitlabReport?: string;
}

export function register(program: Command, io: CliIo): void {
  const command = addOptions(
    program.command('plan'),
    [
      new Option('--out <file>', 'save the plan for "assistants apply FILE" (mode 0600)'),
      new Option('--json', 'print the plan as JSON (schemas/plan.schema.json)'),
      new Option('--markdown', 'print the plan as Markdown: the comments --comment would post, each part after a hidden <!-- assistants plan: part N of M --> line'),
      new Option('--detailed-exitcode', 'exit 0 with no changes, 2 with changes (drift included), 1 on error'),
      new Option('--target <key>', 'limit the plan to this assistant key (repeatable)').argParser(collect),
      new Option('--refresh-only', 'show only what changed on the server since the last apply'),
      new Option('--replace <key>', 'delete this assistant and create it again (a new id), though nothing changed (repeatable)').argParser(collect),
      ...promotionOptions(),
      ...commentOptions('the plan'),
      new Option('--label', 'with --comment: label the pull/merge request PROJECT/ENV: no changes, add or update, or destroy'),
      formatOption(),
      new Option('--gitlab-report <file>', "write the counts GitLab's merge request widget reads (artifacts:reports:terraform)"),
    ],
    MANIFEST,
    ENDPOINT,
    STATE,
    LOCK,
  );
  addHelp(command, {
    summary: 'Show what apply would change, without changing anything',
    about:
      'Reads the manifest, the state and the live objects at the endpoint, and prints what apply would create, update, replace or delete, field by field. ' +
      'Nothing is changed. --out saves the plan for "assistants apply FILE"; --comment posts it to the pull request in CI.',
    examples: [
      ['assistants plan', 'show the changes for the default environment'],
      ['assistants plan --env prod --out prod.plan', 'save the prod plan for review and "assistants apply prod.plan"'],
      ['assistants plan --detailed-exitcode', 'exit 2 when there is something to do (a drift check)'],
    ],
    exits: [2, 3, 130],
  });
  command.action(async (options: PlanOptions) => {
      if (options.json && options.markdown) throw new UserError('USAGE', '--json and --markdown are exclusive: pick one output format.');
      const comment = commentRequest(options);
      const annotated = annotates(options, io);
      const outProblem = options.out === undefined ? null : await planFileTargetProblem(resolve(io.cwd, options.out));
      if (outProblem !== null) {
        throw new UserError('USAGE', `--out ${options.out}: ${outProblem}; refusing to overwrite it. Give a new file name, or one a plan was saved to.`);
      }
      const checked = await checkDesired(options, io, { onProblem: annotated ? (level, d) => annotate(io, level, d) : undefined });
      const source = await readPromotionSource(options, checked.header, io);
      const state = await withStateBackend(options, desiredScope(checked.header), io, async (backend) => {
        const current = await readWithJournal(backend);
        return { current, location: backend.location };
      });
      const session = await openSession(options, io, 'plan', checked.header.endpoint);
      try {
        checkStateBelongs(state.current, checked.header, session.endpoint, state.location);
        const planFor = (targets: readonly string[]): Promise<PlanResult> =>
          makePlan(checked, state.current, session, options.refreshOnly ? 'refresh-only' : 'normal', targets, io, options.replace ?? []);
        const made = await planFor(options.target ?? []);
        const gated = source === null ? made : await gatePlan(made, { desired: await checked.desired(), target: state.current, source, targets: options.target ?? [], verb: 'plan' }, io, planFor);
        if (gated === null) {
          io.stdout.write(`No changes promoted from ${source?.state.environment ?? ''}: nothing to apply.\n`);
          io.exitCode = 0;
          return;
        }
        const { plan } = gated;
        if (options.out) await writePlanFile(resolve(io.cwd, options.out), plan);
        io.stdout.write(options.markdown ? renderMarkdown(plan, { maxPartLength: markdownPartLength(io) }) : renderPlan(plan, options.json ? 'json' : 'text', io));
        if (options.out) {
          // The plan names the manifest, environment and endpoint; where the state is must be said again.
          const again = [
            options.state ? ` --state ${options.state}` : '',
            options.stateBackend ? ` --state-backend ${options.stateBackend}` : '',
            options.skipSchemaCreation ? ' --skip-schema-creation' : '',
          ].join('');
          io.stderr.write(`Saved the plan to ${options.out}; apply it from this folder with: assistants apply ${options.out}${again}\n`);
        }
        const commentId = comment === null ? null : await postComment(io, comment, { kind: 'plan', plan });
        if (io.env.GITHUB_ACTIONS === 'true') await writeGitHubStepResults(io, plan, commentId);
        if (options.gitlabReport) await writeFileAtomic(resolve(io.cwd, options.gitlabReport), `${JSON.stringify(terraformReport(plan))}\n`);
        io.exitCode = options.detailedExitcode && planHasChanges(plan) ? 2 : 0;
      } finally {
        await session.close();
      }
    });
}
