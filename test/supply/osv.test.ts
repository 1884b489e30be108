import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOsvDatabase } from '../../src/app/supply/osv-files.js';
import {
  cvss3BaseScore,
  databaseAgeDays,
  type Ecosystem,
  type OsvDatabase,
  OsvDatabaseBuilder,
  OsvError,
  severityOfScore,
} from '../../src/supply/osv.js';
import { tempDir } from '../helpers/temp.js';
import { writeZip } from '../helpers/zip-writer.js';

// Records shaped like real osv.dev exports (GHSA for npm, PYSEC for PyPI), trimmed to what matters.
const lodash = {
  schema_version: '1.6.0',
  id: 'GHSA-35jh-r3h4-6jhm',
  modified: '2024-03-01T10:00:00Z',
  published: '2021-05-06T16:05:51Z',
  aliases: ['CVE-2021-23337'],
  summary: 'Command Injection in lodash',
  details:
    '`lodash` versions prior to 4.17.21 are vulnerable to Command Injection via the template function.',
  severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H' }],
  affected: [
    {
      package: { ecosystem: 'npm', name: 'lodash', purl: 'pkg:npm/lodash' },
      ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '4.17.21' }] }],
      database_specific: { source: 'https://github.com/github/advisory-database' },
    },
  ],
  references: [
    { type: 'WEB', url: 'https://snyk.io/vuln/SNYK-JS-LODASH-1040724' },
    { type: 'ADVISORY', url: 'https://nvd.nist.gov/vuln/detail/CVE-2021-23337' },
  ],
  database_specific: { cwe_ids: ['CWE-77', 'CWE-94'], severity: 'HIGH', github_reviewed: true },
};

const pyyaml = {
  id: 'PYSEC-2021-142',
  modified: '2024-05-20T08:30:00Z',
  published: '2021-03-25T14:15:00Z',
  aliases: ['CVE-2020-14343', 'GHSA-8q59-q68h-6hv4'],
  details:
    'A vulnerability was discovered in the PyYAML library in versions before 5.4.\nIt is an incomplete fix.',
  affected: [
    {
      package: { ecosystem: 'PyPI', name: 'PyYAML', purl: 'pkg:pypi/pyyaml' },
      ranges: [
        {
          type: 'GIT',
          repo: 'https://github.com/yaml/pyyaml',
          events: [{ introduced: '0' }, { fixed: 'ee98abd' }],
        },
        { type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '5.4' }] },
      ],
      versions: ['3.10', '3.11', '5.1', '5.3', '5.3.1', '5.4b1', '5.4b2'],
    },
  ],
  references: [{ type: 'WEB', url: 'https://bugzilla.redhat.com/show_bug.cgi?id=1860466' }],
};

/** A left-pad record with one SEMVER range; loosely typed so tests can reshape it. */
function npmRecord(id: string, events: object[], extra: Record<string, unknown> = {}): Record<string, any> {
  return {
    id,
    modified: '2023-01-01T00:00:00Z',
    summary: `${id} summary`,
    affected: [{ package: { ecosystem: 'npm', name: 'left-pad' }, ranges: [{ type: 'SEMVER', events }] }],
    ...extra,
  };
}

function writeJson(path: string, value: unknown): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, JSON.stringify(value));
}

const root = tempDir('osv-test-');
let dirs = 0;

/** A fresh directory under the file's temporary root (tempDir itself registers afterAll, so call it once). */
function freshDir(): string {
  const dir = join(root, `d${dirs++}`);
  mkdirSync(dir);
  return dir;
}

/** A database holding just these records, built in memory (loading from files is tested below). */
function databaseOf(...records: unknown[]): OsvDatabase {
  const builder = new OsvDatabaseBuilder();
  for (const record of records) builder.add(record);
  return builder.build('records', 'sha256');
}

function ids(db: OsvDatabase, ecosystem: Ecosystem, name: string, version: string): string[] {
  return db.match({ ecosystem, name, version }).map((m) => m.id);
}

describe('npm records', () => {
  const db = databaseOf(lodash);

  it('matches a version below the fix and reports the record fields', () => {
    const [match, ...rest] = db.match({ ecosystem: 'npm', name: 'lodash', version: '4.17.20' });
    expect(rest).toEqual([]);
    expect(match).toEqual({
      id: 'GHSA-35jh-r3h4-6jhm',
      aliases: ['CVE-2021-23337'],
      summary: 'Command Injection in lodash',
      severity: 'high',
      cvssScore: 7.2,
      package: { ecosystem: 'npm', name: 'lodash', version: '4.17.20' },
      fixedIn: '4.17.21',
      reason: '4.17.20 is in [introduced 0, fixed 4.17.21)',
      url: 'https://nvd.nist.gov/vuln/detail/CVE-2021-23337',
    });
  });

  it('does not match the fixed version, later versions, other names or another ecosystem', () => {
    expect(ids(db, 'npm', 'lodash', '4.17.21')).toEqual([]);
    expect(ids(db, 'npm', 'lodash', '5.0.0')).toEqual([]);
    expect(ids(db, 'npm', 'lodash-es', '4.17.20')).toEqual([]);
    expect(ids(db, 'npm', 'Lodash', '4.17.20')).toEqual([]); // npm names are exact
    expect(ids(db, 'PyPI', 'lodash', '4.17.20')).toEqual([]);
  });

  it('evaluates several introduced/fixed pairs in one range, whatever their order in the record', () => {
    const db = databaseOf(
      npmRecord('GHSA-pair-0001', [
        { fixed: '2.0.3' },
        { introduced: '2.0.0' },
        { fixed: '1.2.0' },
        { introduced: '0' },
      ]),
    );
    const affected = ['0.0.1', '1.1.9', '2.0.0', '2.0.2'];
    const clean = ['1.2.0', '1.5.0', '2.0.3', '3.0.0'];
    for (const version of affected)
      expect(ids(db, 'npm', 'left-pad', version), version).toEqual(['GHSA-pair-0001']);
    for (const version of clean) expect(ids(db, 'npm', 'left-pad', version), version).toEqual([]);
    const [early] = db.match({ ecosystem: 'npm', name: 'left-pad', version: '1.1.9' });
    expect(early?.fixedIn).toBe('1.2.0');
    expect(early?.reason).toBe('1.1.9 is in [introduced 0, fixed 1.2.0)');
    const [late] = db.match({ ecosystem: 'npm', name: 'left-pad', version: '2.0.2' });
    expect(late?.fixedIn).toBe('2.0.3');
    expect(late?.reason).toBe('2.0.2 is in [introduced 2.0.0, fixed 2.0.3)');
  });

  it('treats last_affected as inclusive and names no fix', () => {
    const db = databaseOf(npmRecord('GHSA-last-0001', [{ introduced: '1.0.0' }, { last_affected: '1.4.2' }]));
    expect(ids(db, 'npm', 'left-pad', '0.9.9')).toEqual([]);
    expect(ids(db, 'npm', 'left-pad', '1.4.3')).toEqual([]);
    const [match] = db.match({ ecosystem: 'npm', name: 'left-pad', version: '1.4.2' });
    expect(match?.reason).toBe('1.4.2 is in [introduced 1.0.0, last_affected 1.4.2]');
    expect(match?.fixedIn).toBeUndefined();
  });

  it('stops a range at its limit, and treats a "*" limit as infinity', () => {
    const db = databaseOf(
      npmRecord('GHSA-limit-0001', [{ introduced: '0' }, { limit: '2.0.0' }]),
      npmRecord('GHSA-limit-0002', [{ introduced: '5.0.0' }, { limit: '*' }]),
      // Any limit above the version keeps it in range; "*" is above everything.
      npmRecord('GHSA-limit-0003', [{ introduced: '10.0.0' }, { limit: '11.0.0' }, { limit: '*' }]),
    );
    const [match] = db.match({ ecosystem: 'npm', name: 'left-pad', version: '1.9.9' });
    expect(match?.reason).toBe('1.9.9 is in [introduced 0, no fixed version) below limit 2.0.0');
    expect(ids(db, 'npm', 'left-pad', '2.0.0')).toEqual([]);
    expect(ids(db, 'npm', 'left-pad', '2.5.0')).toEqual([]);
    expect(ids(db, 'npm', 'left-pad', '99.0.0')).toEqual(['GHSA-limit-0002', 'GHSA-limit-0003']);
  });

  it('orders prereleases by semver precedence', () => {
    const db = databaseOf(
      npmRecord('GHSA-pre-0001', [{ introduced: '0' }, { fixed: '2.0.0-rc.2' }]),
      npmRecord('GHSA-pre-0002', [{ introduced: '3.0.0-alpha.1' }, { fixed: '3.0.0' }]),
    );
    expect(ids(db, 'npm', 'left-pad', '2.0.0-beta.4')).toEqual(['GHSA-pre-0001']);
    expect(ids(db, 'npm', 'left-pad', '2.0.0-rc.1')).toEqual(['GHSA-pre-0001']);
    expect(ids(db, 'npm', 'left-pad', '2.0.0-rc.2')).toEqual([]);
    expect(ids(db, 'npm', 'left-pad', '2.0.0')).toEqual([]);
    expect(ids(db, 'npm', 'left-pad', '3.0.0-alpha.0')).toEqual([]);
    expect(ids(db, 'npm', 'left-pad', '3.0.0-beta.1')).toEqual(['GHSA-pre-0002']);
    expect(ids(db, 'npm', 'left-pad', '3.0.0')).toEqual([]);
  });

  it('orders npm ECOSYSTEM ranges by semver, not as strings', () => {
    const record = npmRecord('GHSA-eco-0001', []);
    record.affected[0].ranges = [
      { type: 'ECOSYSTEM', events: [{ introduced: '1.2.0' }, { fixed: '1.10.0' }] },
    ];
    const db = databaseOf(record);
    expect(ids(db, 'npm', 'left-pad', '1.9.0')).toEqual(['GHSA-eco-0001']);
    expect(ids(db, 'npm', 'left-pad', '1.10.0')).toEqual([]);
    expect(ids(db, 'npm', 'left-pad', '1.11.0')).toEqual([]);
  });

  it('ignores GIT ranges but honours an explicit versions list next to them', () => {
    const gitOnly = npmRecord('GHSA-git-0001', []);
    gitOnly.affected[0].ranges = [
      { type: 'GIT', events: [{ introduced: '0' }, { fixed: 'a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2' }] },
    ];
    const withVersions = {
      ...npmRecord('GHSA-git-0002', []),
      affected: [{ ...gitOnly.affected[0], versions: ['1.3.0'] }],
    };
    const db = databaseOf(gitOnly, withVersions);
    expect(ids(db, 'npm', 'left-pad', '1.0.0')).toEqual([]);
    const [match, ...rest] = db.match({ ecosystem: 'npm', name: 'left-pad', version: '1.3.0' });
    expect(rest).toEqual([]);
    expect(match?.id).toBe('GHSA-git-0002');
    expect(match?.reason).toBe('1.3.0 is listed in versions');
  });

  it('skips unparseable versions in records and matches an unparseable installed version only by listing', () => {
    const broken = npmRecord('GHSA-bad-0001', [
      { introduced: 'one' },
      { introduced: '1.0.0' },
      { fixed: 'soon' },
    ]);
    const listed = npmRecord('GHSA-bad-0002', [{ introduced: '0' }]);
    listed.affected[0].versions = ['github:stevemao/left-pad#v1.0.0'];
    const db = databaseOf(broken, listed);
    expect(ids(db, 'npm', 'left-pad', '0.5.0')).toEqual(['GHSA-bad-0002']);
    expect(ids(db, 'npm', 'left-pad', '1.0.0')).toEqual(['GHSA-bad-0001', 'GHSA-bad-0002']);
    expect(ids(db, 'npm', 'left-pad', 'latest')).toEqual([]);
    expect(ids(db, 'npm', 'left-pad', 'github:stevemao/left-pad#v1.0.0')).toEqual(['GHSA-bad-0002']);
  });

  it('reports a record once when several of its affected entries name the package', () => {
    const record = npmRecord('GHSA-dup-0001', [{ introduced: '1.0.0' }, { fixed: '1.0.5' }]);
    record.affected.push({
      package: { ecosystem: 'npm', name: 'left-pad' },
      ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '2.0.0' }] }],
    });
    const db = databaseOf(record);
    const [first, ...rest] = db.match({ ecosystem: 'npm', name: 'left-pad', version: '1.0.1' });
    expect(rest).toEqual([]);
    // The first entry that matches explains the match.
    expect([first?.reason, first?.fixedIn]).toEqual(['1.0.1 is in [introduced 1.0.0, fixed 1.0.5)', '1.0.5']);
    expect(ids(db, 'npm', 'left-pad', '1.5.0')).toEqual(['GHSA-dup-0001']);
  });
});

describe('PyPI records', () => {
  const db = databaseOf(pyyaml);

  it('orders ECOSYSTEM ranges by PEP 440, prereleases included', () => {
    for (const version of ['3.10', '5.3.1', '5.4b1', '5.4rc1', '5.4.dev0'])
      expect(ids(db, 'PyPI', 'pyyaml', version), version).toEqual(['PYSEC-2021-142']);
    for (const version of ['5.4', '5.4.0', '5.4.post1', '5.10', '6.0'])
      expect(ids(db, 'PyPI', 'pyyaml', version), version).toEqual([]);
  });

  it('compares names after PEP 503 normalisation', () => {
    for (const name of ['PyYAML', 'pyyaml', 'PYYAML'])
      expect(ids(db, 'PyPI', name, '5.3')).toEqual(['PYSEC-2021-142']);
    const zope = {
      id: 'PYSEC-2022-0001',
      affected: [{ package: { ecosystem: 'PyPI', name: 'Zope.Interface' }, versions: ['4.0'] }],
    };
    const zdb = databaseOf(zope);
    for (const name of ['zope-interface', 'zope_interface', 'ZOPE__INTERFACE', 'zope.-interface'])
      expect(ids(zdb, 'PyPI', name, '4.0'), name).toEqual(['PYSEC-2022-0001']);
    expect(ids(zdb, 'PyPI', 'zopeinterface', '4.0')).toEqual([]);
  });

  it('falls back to the first line of details as summary, and has unknown severity without any rating', () => {
    const [match] = db.match({ ecosystem: 'PyPI', name: 'pyyaml', version: '5.3.1' });
    expect(match?.summary).toBe(
      'A vulnerability was discovered in the PyYAML library in versions before 5.4.',
    );
    expect(match?.severity).toBe('unknown');
    expect(match?.cvssScore).toBeUndefined();
    expect(match?.fixedIn).toBe('5.4');
    expect(match?.url).toBe('https://bugzilla.redhat.com/show_bug.cgi?id=1860466');
  });

  it('matches explicit versions with PEP 440 equality and takes fixedIn from the ranges', () => {
    const record = {
      id: 'PYSEC-2023-0002',
      affected: [
        {
          package: { ecosystem: 'PyPI', name: 'requests' },
          // The range is unusable (bad introduced), so only the versions list can match.
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: 'not a version!' }, { fixed: '2.31.0' }] }],
          versions: ['2.30', '1!3.0', '2.29.0.post1', '2.28+Local_Build-1'],
        },
      ],
    };
    const rdb = databaseOf(record);
    const [match] = rdb.match({ ecosystem: 'PyPI', name: 'requests', version: '2.30.0' });
    expect(match?.reason).toBe('2.30.0 is listed in versions');
    expect(match?.fixedIn).toBe('2.31.0');
    expect(ids(rdb, 'PyPI', 'requests', '1!3.0.0')).toEqual(['PYSEC-2023-0002']);
    expect(ids(rdb, 'PyPI', 'requests', '2.29.0-post1')).toEqual(['PYSEC-2023-0002']);
    expect(ids(rdb, 'PyPI', 'requests', '2.29.0')).toEqual([]);
    expect(ids(rdb, 'PyPI', 'requests', '2.28.0+local.build.1')).toEqual(['PYSEC-2023-0002']);
    expect(ids(rdb, 'PyPI', 'requests', '2.28.0')).toEqual([]); // a local version is not the public one
    expect(ids(rdb, 'PyPI', 'requests', '3.0')).toEqual([]);
    expect(ids(rdb, 'PyPI', 'requests', '2.30.1')).toEqual([]);
  });

  it('applies last_affected and multiple pairs with PEP 440 ordering', () => {
    const record = {
      id: 'PYSEC-2023-0003',
      affected: [
        {
          package: { ecosystem: 'PyPI', name: 'django' },
          ranges: [
            {
              type: 'ECOSYSTEM',
              events: [
                { introduced: '3.2' },
                { fixed: '3.2.19' },
                { introduced: '4.0a1' },
                { last_affected: '4.1.9' },
              ],
            },
          ],
        },
      ],
    };
    const ddb = databaseOf(record);
    for (const version of ['3.2', '3.2.18', '4.0b1', '4.1.9'])
      expect(ids(ddb, 'PyPI', 'django', version), version).toEqual(['PYSEC-2023-0003']);
    for (const version of ['3.1.14', '3.2.19', '3.10', '4.0.dev1', '4.1.10', '4.2'])
      expect(ids(ddb, 'PyPI', 'django', version), version).toEqual([]);
  });
});

describe('withdrawn records and duplicates', () => {
  it('never matches a withdrawn record but counts it', () => {
    const withdrawn = { ...lodash, id: 'GHSA-with-0001', withdrawn: '2024-03-02T00:00:00Z' };
    const db = databaseOf(lodash, withdrawn);
    expect(db.records).toBe(2);
    expect(db.withdrawn).toBe(1);
    expect(ids(db, 'npm', 'lodash', '4.0.0')).toEqual(['GHSA-35jh-r3h4-6jhm']);
  });

  it('keeps the newer of two records with the same id', () => {
    const older = npmRecord('GHSA-same-0001', [{ introduced: '0' }, { fixed: '1.0.0' }]);
    const newer = {
      ...npmRecord('GHSA-same-0001', [{ introduced: '0' }, { fixed: '2.0.0' }]),
      modified: '2024-01-01T00:00:00Z',
    };
    for (const order of [
      [older, newer],
      [newer, older],
    ]) {
      const db = databaseOf(...order);
      expect(db.records).toBe(1);
      expect(db.match({ ecosystem: 'npm', name: 'left-pad', version: '1.5.0' })[0]?.fixedIn).toBe('2.0.0');
    }
  });
});

describe('severity', () => {
  it.each([
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8, 'critical'],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', 6.1, 'medium'],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N', 7.5, 'high'],
    ['CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:N/A:N', 3.7, 'low'],
    ['CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', 7.8, 'high'],
    ['CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H', 9.9, 'critical'],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', 10, 'critical'],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N/E:P/RL:O', 5.3, 'medium'],
  ])('scores %s as %s', (vector, score, severity) => {
    expect(cvss3BaseScore(vector)).toBe(score);
    expect(severityOfScore(score)).toBe(severity);
  });

  it('rejects malformed vectors and scores no impact as 0', () => {
    expect(cvss3BaseScore('AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')).toBeUndefined();
    expect(cvss3BaseScore('CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P')).toBeUndefined();
    expect(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H')).toBeUndefined();
    expect(cvss3BaseScore('CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')).toBeUndefined();
    expect(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/A:L')).toBeUndefined();
    expect(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N')).toBe(0);
  });

  it('prefers database_specific, then ecosystem_specific, then the CVSS vector', () => {
    const vector = (score: string) => [{ type: 'CVSS_V3', score }];
    const critical = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
    const db = databaseOf(
      npmRecord('GHSA-sev-0001', [{ introduced: '0' }], {
        severity: vector(critical),
        database_specific: { severity: 'MODERATE' },
      }),
      {
        ...npmRecord('GHSA-sev-0002', []),
        affected: [
          {
            package: { ecosystem: 'npm', name: 'left-pad' },
            ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }] }],
            ecosystem_specific: { severity: 'low' },
            severity: vector(critical),
          },
        ],
      },
      npmRecord('GHSA-sev-0003', [{ introduced: '0' }], {
        severity: [
          { type: 'CVSS_V4', score: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N' },
          ...vector('CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N'),
        ],
      }),
      npmRecord('GHSA-sev-0004', [{ introduced: '0' }], { severity: vector('garbage') }),
    );
    const found = db.match({ ecosystem: 'npm', name: 'left-pad', version: '1.0.0' });
    expect(found.map((m) => [m.id, m.severity, m.cvssScore])).toEqual([
      ['GHSA-sev-0001', 'medium', 9.8],
      ['GHSA-sev-0003', 'medium', 6.1],
      ['GHSA-sev-0002', 'low', 9.8],
      ['GHSA-sev-0004', 'unknown', undefined],
    ]);
  });
});

describe('loading', () => {
  it('reads nested directories, skipping non-OSV JSON, other files and dot-directories', async () => {
    const dir = freshDir();
    writeJson(join(dir, 'advisories', 'github-reviewed', '2021', '05', 'GHSA-35jh-r3h4-6jhm.json'), lodash);
    writeJson(join(dir, 'pypi', 'PyYAML', 'PYSEC-2021-142.json'), pyyaml);
    writeJson(join(dir, 'package.json'), { name: 'not-an-advisory', version: '1.0.0' });
    writeFileSync(join(dir, 'README.md'), '# advisories\n');
    writeFileSync(join(dir, 'pypi', 'notes.txt'), '{ not json');
    writeJson(join(dir, '.git', 'bad.json'), '{');
    writeFileSync(join(dir, '.git', 'broken.json'), '{');
    const db = await loadOsvDatabase(dir);
    expect(db.source).toBe(dir);
    expect(db.records).toBe(2);
    expect(db.withdrawn).toBe(0);
    expect(ids(db, 'npm', 'lodash', '4.17.0')).toEqual(['GHSA-35jh-r3h4-6jhm']);
    expect(ids(db, 'PyPI', 'pyyaml', '5.1')).toEqual(['PYSEC-2021-142']);
  });

  it('reads an osv.dev all.zip, one record per member', async () => {
    const dir = freshDir();
    const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
    const zip = join(dir, 'all.zip');
    writeFileSync(
      zip,
      writeZip({
        'GHSA-35jh-r3h4-6jhm.json': json(lodash),
        'PYSEC-2021-142.json': json(pyyaml),
        'GHSA-with-0001.json': json({ ...lodash, id: 'GHSA-with-0001', withdrawn: '2024-01-01T00:00:00Z' }),
        'GHSA-pre-0001.json': json(
          npmRecord('GHSA-pre-0001', [{ introduced: '0' }, { fixed: '2.0.0-rc.2' }]),
        ),
      }),
    );
    const db = await loadOsvDatabase(zip);
    expect([db.records, db.withdrawn]).toEqual([4, 1]);
    expect(ids(db, 'npm', 'lodash', '4.17.20')).toEqual(['GHSA-35jh-r3h4-6jhm']);
    expect(ids(db, 'PyPI', 'PyYAML', '5.4b2')).toEqual(['PYSEC-2021-142']);
    expect(ids(db, 'npm', 'left-pad', '2.0.0-rc.1')).toEqual(['GHSA-pre-0001']);
  });

  it('reads a single record file', async () => {
    const dir = freshDir();
    const file = join(dir, 'GHSA-35jh-r3h4-6jhm.json');
    writeJson(file, lodash);
    const db = await loadOsvDatabase(file);
    expect([db.source, db.records]).toEqual([file, 1]);
    expect(ids(db, 'npm', 'lodash', '1.0.0')).toEqual(['GHSA-35jh-r3h4-6jhm']);
  });

  it('names the file holding malformed JSON', async () => {
    const dir = freshDir();
    writeJson(join(dir, 'ok.json'), lodash);
    const bad = join(dir, 'nested', 'GHSA-bad.json');
    mkdirSync(join(dir, 'nested'));
    writeFileSync(bad, '{"id": "GHSA-bad", ');
    await expect(loadOsvDatabase(dir)).rejects.toThrow(OsvError);
    await expect(loadOsvDatabase(dir)).rejects.toThrow(`${bad}: malformed JSON`);
  });

  it('names the archive and member holding malformed JSON', async () => {
    const dir = freshDir();
    const zip = join(dir, 'all.zip');
    writeFileSync(
      zip,
      writeZip({ 'ok.json': new TextEncoder().encode('{}'), 'PYSEC-x.json': new TextEncoder().encode('[') }),
    );
    await expect(loadOsvDatabase(zip)).rejects.toThrow(`${zip}: member PYSEC-x.json: malformed JSON`);
  });

  it('rejects missing paths, damaged archives and a single file that is not a record', async () => {
    const dir = freshDir();
    await expect(loadOsvDatabase(join(dir, 'missing'))).rejects.toThrow(OsvError);
    const truncated = join(dir, 'truncated.zip');
    writeFileSync(truncated, writeZip({ 'a.json': new TextEncoder().encode('{}') }).subarray(0, 40));
    await expect(loadOsvDatabase(truncated)).rejects.toThrow(/truncated\.zip: no end-of-central-directory/);
    const notZip = join(dir, 'all.zip');
    writeFileSync(notZip, 'hello');
    await expect(loadOsvDatabase(notZip)).rejects.toThrow('not a ZIP archive');
    const notRecord = join(dir, 'package.json');
    writeJson(notRecord, { name: 'x' });
    await expect(loadOsvDatabase(notRecord)).rejects.toThrow('not an OSV record');
  });

  it('rejects a zip member with an unsupported compression method', async () => {
    const dir = freshDir();
    const bytes = writeZip({ 'GHSA-x.json': new TextEncoder().encode('{}') });
    // Patch the method field (stored → 93, Zstandard) in the central directory entry.
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const central = bytes.length - 22 - (46 + 'GHSA-x.json'.length);
    view.setUint16(central + 10, 93, true);
    const zip = join(dir, 'all.zip');
    writeFileSync(zip, bytes);
    await expect(loadOsvDatabase(zip)).rejects.toThrow(OsvError);
    await expect(loadOsvDatabase(zip)).rejects.toThrow(/all\.zip: GHSA-x\.json uses compression method 93/);
  });
});

describe('database age', () => {
  it('is measured from the newest modified record', () => {
    const db = databaseOf(lodash, pyyaml, npmRecord('GHSA-age-0001', []));
    expect(db.newestModified).toBe('2024-05-20T08:30:00Z');
    expect(databaseAgeDays(db, new Date('2024-05-30T08:30:00Z'))).toBe(10);
    expect(databaseAgeDays(db, new Date('2024-05-21T20:30:00Z'))).toBe(1.5);
    expect(databaseAgeDays(db, new Date('2024-05-01T00:00:00Z'))).toBe(0);
  });

  it('is unknown when no record says when it was modified', () => {
    const db = databaseOf({ id: 'PYSEC-0000-0', affected: [] });
    expect(db.newestModified).toBeUndefined();
    expect(databaseAgeDays(db, new Date())).toBeUndefined();
  });
});
