/**
 * GitLab's report artifacts: the Terraform report its merge request widget reads
 * (`artifacts:reports:terraform`: `{"create": N, "update": N, "delete": N}`,
 * https://docs.gitlab.com/user/infrastructure/iac/mr_integration/) and the Code Quality
 * report (`artifacts:reports:codequality`, https://docs.gitlab.com/ci/testing/code_quality/).
 */
import { createHash } from 'node:crypto';
import type { Plan } from '../plan/types.js';

export interface TerraformReport {
  create: number;
  update: number;
  delete: number;
}

/** The plan's counts as the widget shows them: assistants and files together. */
export function terraformReport(plan: Plan): TerraformReport {
  const { add, change, destroy, filesUpload, filesDelete } = plan.summary;
  return { create: add + filesUpload, update: change, delete: destroy + filesDelete };
}

export interface QualityProblem {
  /** Relative to the repository root. */
  path: string;
  line: number;
  column: number;
  message: string;
  severity: 'error' | 'warning';
}

export interface CodeQualityIssue {
  description: string;
  check_name: string;
  fingerprint: string;
  severity: 'major' | 'minor';
  location: { path: string; lines: { begin: number } };
}

export function codeQualityReport(problems: readonly QualityProblem[]): CodeQualityIssue[] {
  return problems.map((p) => ({
    description: p.column > 0 ? `${p.message} (column ${p.column})` : p.message,
    check_name: p.severity === 'error' ? 'assistants-manifest-error' : 'assistants-manifest-warning',
    // Stable across runs while the problem stays where it is, so GitLab can tell new problems from old.
    fingerprint: createHash('sha256').update(`${p.path}\0${p.line}\0${p.column}\0${p.message}`).digest('hex').slice(0, 32),
    severity: p.severity === 'error' ? 'major' : 'minor',
    location: { path: p.path, lines: { begin: p.line } },
  }));
}
