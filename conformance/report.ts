import type { CheckResult } from './checks/types.js';
import type { SuiteReport } from './suite.js';

const LABEL = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' } as const;

/** One line per check: `FAIL read.pagination[issues] — reason (at streams.issues.pagination, file:line:col)`. */
export function formatResult(result: CheckResult): string {
  const where = result.path ? ` (at ${result.path}${result.where ? `, ${result.where}` : ''})` : '';
  const reason = result.reason ? ` — ${result.reason}` : '';
  return `${LABEL[result.status]} ${result.name}${reason}${result.status === 'pass' ? '' : where}`;
}

/** The summary line: `N passed, N failed, N skipped`. */
export function formatSummary(report: Pick<SuiteReport, 'passed' | 'failed' | 'skipped'>): string {
  return `${report.passed} passed, ${report.failed} failed, ${report.skipped} skipped`;
}

const escapeXml = (text: string) => text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);

/** JUnit XML: one testsuite per manifest, one testcase per check (classname = check group). */
export function toJUnit(report: SuiteReport): string {
  const name = escapeXml(report.manifest);
  const cases = report.results.map((r) => {
    const group = r.name.split(/[.[]/)[0] ?? 'conformance';
    const head = `    <testcase classname="conformance.${escapeXml(group)}" name="${escapeXml(r.name)}" time="${((r.ms ?? 0) / 1000).toFixed(3)}"`;
    const where = r.path ? ` (at ${r.path}${r.where ? `, ${r.where}` : ''})` : '';
    if (r.status === 'fail') return `${head}>\n      <failure message="${escapeXml((r.reason ?? 'failed') + where)}">${escapeXml((r.reason ?? '') + where)}</failure>\n    </testcase>`;
    if (r.status === 'skip') return `${head}>\n      <skipped message="${escapeXml(r.reason ?? '')}"/>\n    </testcase>`;
    return `${head}/>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="gwi-connectors conformance" tests="${report.results.length}" failures="${report.failed}" skipped="${report.skipped}">`,
    `  <testsuite name="${name}" tests="${report.results.length}" failures="${report.failed}" skipped="${report.skipped}" errors="0">`,
    `    <properties><property name="source" value="${escapeXml(report.source)}"/></properties>`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
