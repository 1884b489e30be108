/** One test case of a JUnit report. */
export interface JunitCase {
  name: string;
  classname: string;
  timeSeconds?: number;
  failure?: { message: string; body?: string };
  skipped?: string;
}

export interface JunitSuite {
  name: string;
  cases: JunitCase[];
}

/** JUnit XML as CI systems (GitHub, GitLab, Jenkins) read it. */
export function junitXml(suites: readonly JunitSuite[]): string {
  const totals = suites.reduce(
    (sum, suite) => ({
      tests: sum.tests + suite.cases.length,
      failures: sum.failures + suite.cases.filter((c) => c.failure).length,
      skipped: sum.skipped + suite.cases.filter((c) => c.skipped !== undefined).length,
    }),
    { tests: 0, failures: 0, skipped: 0 },
  );
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites tests="${totals.tests}" failures="${totals.failures}" skipped="${totals.skipped}">`,
  ];
  for (const suite of suites) {
    const failures = suite.cases.filter((c) => c.failure).length;
    const skipped = suite.cases.filter((c) => c.skipped !== undefined).length;
    lines.push(
      `  <testsuite name="${xmlAttr(suite.name)}" tests="${suite.cases.length}" failures="${failures}" skipped="${skipped}">`,
    );
    for (const testCase of suite.cases) {
      const time = testCase.timeSeconds === undefined ? '' : ` time="${testCase.timeSeconds.toFixed(6)}"`;
      const open = `    <testcase name="${xmlAttr(testCase.name)}" classname="${xmlAttr(testCase.classname)}"${time}`;
      if (testCase.failure) {
        lines.push(`${open}>`);
        lines.push(
          `      <failure message="${xmlAttr(testCase.failure.message)}">${xmlText(testCase.failure.body ?? testCase.failure.message)}</failure>`,
        );
        lines.push('    </testcase>');
      } else if (testCase.skipped !== undefined) {
        lines.push(`${open}>`, `      <skipped message="${xmlAttr(testCase.skipped)}"/>`, '    </testcase>');
      } else {
        lines.push(`${open}/>`);
      }
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>', '');
  return lines.join('\n');
}

// XML 1.0 cannot carry most control characters at all, even escaped.
function isXmlChar(code: number): boolean {
  return (
    code === 0x09 || code === 0x0a || code === 0x0d || (code >= 0x20 && code !== 0xfffe && code !== 0xffff)
  );
}

function xmlText(text: string): string {
  let clean = '';
  for (const char of text) clean += isXmlChar(char.codePointAt(0)!) ? char : '\uFFFD';
  return clean.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function xmlAttr(text: string): string {
  return xmlText(text).replace(/"/g, '&quot;').replace(/\n/g, '&#10;');
}
