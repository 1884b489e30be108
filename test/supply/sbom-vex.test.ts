import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assertValidBom } from '../../src/app/supply/bom-schema-files.js';
import { isArbiterError } from '../../src/core/errors.js';
import type { JsonObject } from '../../src/core/json.js';
import { buildBom } from '../../src/supply/bom.js';
import { parsePurl, purlKey, purlMatches } from '../../src/supply/purl.js';
import { mergeSboms, readCycloneDx, sbomSourceProperty } from '../../src/supply/sbom-import.js';
import { parseVex, vexStatementFor } from '../../src/supply/vex.js';

const fixtures = 'test/fixtures/gate-inputs';
const json = (name: string) => JSON.parse(readFileSync(`${fixtures}/${name}`, 'utf8')) as unknown;

describe('package URLs', () => {
  it('ignores qualifiers and subpaths for identity, and normalises PyPI names', () => {
    const syft = parsePurl('pkg:pypi/Jinja2@3.1.2?package-id=5e1b6c7f0a2d9e3c')!;
    const trivy = parsePurl('pkg:pypi/jinja2@3.1.2')!;
    expect(purlKey(syft)).toBe(purlKey(trivy));
    expect(parsePurl('pkg:deb/debian/libssl3@3.0.14-1~deb12u1?arch=amd64&distro=debian-12.7')).toEqual({
      type: 'deb',
      namespace: 'debian',
      name: 'libssl3',
      version: '3.0.14-1~deb12u1',
    });
    expect(parsePurl('pkg:npm/%40types/node@20.1.0')).toMatchObject({ namespace: '@types', name: 'node' });
    expect(purlMatches(parsePurl('pkg:deb/debian/zlib1g')!, parsePurl('pkg:deb/debian/zlib1g@1.2.13')!)).toBe(
      true,
    );
    expect(
      purlMatches(parsePurl('pkg:deb/debian/zlib1g@1.3')!, parsePurl('pkg:deb/debian/zlib1g@1.2.13')!),
    ).toBe(false);
    expect(parsePurl('not-a-purl')).toBeUndefined();
  });
});

describe('CycloneDX SBOMs of other tools', () => {
  it("reads Trivy's SBOM: tool, components, vulnerabilities with the highest rating and the fix", () => {
    const sbom = readCycloneDx('trivy.cdx.json', json('trivy.cdx.json'));
    expect(sbom.tool).toBe('trivy 0.57.1');
    expect(sbom.specVersion).toBe('1.6');
    expect(sbom.packages.map((p) => `${p.name}@${p.version}`)).toEqual([
      'libssl3@3.0.14-1~deb12u1',
      'zlib1g@1:1.2.13.dfsg-1',
      'jinja2@3.1.2',
    ]);
    expect(sbom.packages[2]).toMatchObject({ ecosystem: 'PyPI', purl: 'pkg:pypi/jinja2@3.1.2' });
    expect(sbom.packages[0]?.ecosystem).toBeUndefined();
    expect(
      sbom.vulnerabilities.map((v) => ({
        id: v.id,
        severity: v.severity,
        fixedIn: v.fixedIn,
        packages: v.packages.map((p) => p.name),
        aliases: v.aliases,
      })),
    ).toEqual([
      {
        id: 'CVE-2024-6119',
        severity: 'high',
        fixedIn: '3.0.14-1~deb12u2',
        packages: ['libssl3'],
        aliases: [],
      },
      { id: 'CVE-2023-45853', severity: 'critical', fixedIn: undefined, packages: ['zlib1g'], aliases: [] },
      {
        id: 'CVE-2024-56201',
        severity: 'medium',
        fixedIn: '3.1.5',
        packages: ['jinja2'],
        aliases: ['GHSA-gmj6-6f8f-6699'],
      },
    ]);
  });

  it("reads Syft's SBOM (CycloneDX 1.5, tools as components)", () => {
    const sbom = readCycloneDx('syft.cdx.json', json('syft.cdx.json'));
    expect(sbom.tool).toBe('syft 1.16.0');
    expect(sbom.packages.map((p) => [p.name, p.version, p.ecosystem])).toEqual([
      ['jinja2', '3.1.2', 'PyPI'],
      ['pyyaml', '5.3.1', 'PyPI'],
      ['fastapi', '0.115.4', 'PyPI'],
    ]);
  });

  it('rejects what is not CycloneDX JSON, naming the file and the field', () => {
    const error = (value: unknown) => {
      try {
        readCycloneDx('sbom.json', value);
      } catch (e) {
        if (isArbiterError(e)) return `${e.code}: ${e.message}`;
      }
      return 'accepted';
    };
    expect(error({ spdxVersion: 'SPDX-2.3' })).toBe(
      'ARB_ERR_INPUT_INVALID: sbom.json: not a CycloneDX JSON document ("bomFormat": "CycloneDX" is missing)',
    );
    expect(error({ bomFormat: 'CycloneDX', specVersion: '2.0' })).toBe(
      'ARB_ERR_INPUT_INVALID: sbom.json: CycloneDX specVersion "2.0" is not supported (1.2 to 1.7)',
    );
    expect(error({ bomFormat: 'CycloneDX', specVersion: '1.5', components: [{ type: 'library' }] })).toBe(
      'ARB_ERR_INPUT_INVALID: sbom.json: components[0] has no "name"',
    );
  });

  it('merges components into the AI-BOM once per package, naming each source, and stays valid CycloneDX 1.6', () => {
    const base = buildBom({
      subject: { name: 'support-assistant', version: '1.1.0' },
      packages: [
        {
          ecosystem: 'PyPI',
          name: 'jinja2',
          version: '3.1.2',
          purl: 'pkg:pypi/jinja2@3.1.2',
          scope: 'required',
          hashes: [],
          source: 'requirements.txt',
        },
      ],
      models: [],
      datasets: [],
      timestamp: new Date('2026-11-20T00:00:00Z'),
      tool: { name: 'arbiter', version: '0.0.0' },
      serialNumber: 'urn:uuid:0c6f7a3e-2b1d-4c5e-9f8a-7b6c5d4e3f21',
    });
    const trivy = readCycloneDx('trivy.cdx.json', json('trivy.cdx.json'));
    const syft = readCycloneDx('syft.cdx.json', json('syft.cdx.json'));
    const { bom, added, duplicates } = mergeSboms(base, [trivy, syft]);
    // jinja2 is in the lockfile, Trivy's and Syft's SBOMs: one component.
    expect({ added, duplicates }).toEqual({ added: 4, duplicates: 2 });
    assertValidBom(bom, 'merged');
    const components = bom.components as JsonObject[];
    const jinja = components.filter((c) => c.name === 'jinja2');
    expect(jinja).toHaveLength(1);
    expect(
      (jinja[0]!.properties as { name: string; value: string }[]).filter(
        (p) => p.name === sbomSourceProperty,
      ),
    ).toEqual([
      { name: sbomSourceProperty, value: 'trivy 0.57.1 (trivy.cdx.json)' },
      { name: sbomSourceProperty, value: 'syft 1.16.0 (syft.cdx.json)' },
    ]);
    const vulnerabilities = bom.vulnerabilities as JsonObject[];
    expect(vulnerabilities.map((v) => [v.id, v.affects])).toEqual([
      ['CVE-2024-6119', [{ ref: 'pkg:deb/debian/libssl3@3.0.14-1~deb12u1?arch=amd64&distro=debian-12.7' }]],
      [
        'CVE-2023-45853',
        [{ ref: 'pkg:deb/debian/zlib1g@1.2.13.dfsg-1?arch=amd64&epoch=1&distro=debian-12.7' }],
      ],
      ['CVE-2024-56201', [{ ref: 'pkg:pypi/jinja2@3.1.2' }]],
    ]);
  });
});

describe('VEX', () => {
  it('reads CycloneDX VEX: each analysis is a statement; only "does not apply" states suppress', () => {
    const statements = parseVex('vex.cdx.json', json('vex.cdx.json'));
    expect(statements).toEqual([
      {
        file: 'vex.cdx.json',
        format: 'cyclonedx',
        vulnerability: 'CVE-2024-6119',
        aliases: [],
        products: ['pkg:deb/debian/libssl3@3.0.14-1~deb12u1'],
        status: 'not_affected',
        suppresses: true,
        justification: 'code_not_reachable',
        detail:
          'The assistant makes no TLS client connections that check X.509 names with OpenSSL; outbound calls go through the mesh sidecar.',
      },
      {
        file: 'vex.cdx.json',
        format: 'cyclonedx',
        vulnerability: 'CVE-2023-45853',
        aliases: [],
        products: ['pkg:deb/debian/zlib1g'],
        status: 'in_triage',
        suppresses: false,
        detail: 'Checking whether anything links MiniZip.',
      },
    ]);
  });

  it('reads OpenVEX 0.2.0: the subcomponents of a product are what the statement is about', () => {
    const [statement] = parseVex('openvex.json', json('openvex.json'));
    expect(statement).toEqual({
      file: 'openvex.json',
      format: 'openvex',
      vulnerability: 'CVE-2024-56201',
      aliases: ['GHSA-gmj6-6f8f-6699'],
      products: ['pkg:pypi/jinja2@3.1.2'],
      status: 'not_affected',
      suppresses: true,
      justification: 'vulnerable_code_not_in_execute_path',
      detail: 'Templates ship inside the image; no user input names a template file.',
    });
  });

  it('matches a statement by id or alias and by package (purl without qualifiers, or name and version)', () => {
    const statements = [
      ...parseVex('vex.cdx.json', json('vex.cdx.json')),
      ...parseVex('openvex.json', json('openvex.json')),
    ];
    const ssl = {
      name: 'libssl3',
      version: '3.0.14-1~deb12u1',
      purl: 'pkg:deb/debian/libssl3@3.0.14-1~deb12u1?arch=amd64&distro=debian-12.7',
    };
    expect(vexStatementFor(statements, { ids: ['CVE-2024-6119'], package: ssl })?.justification).toBe(
      'code_not_reachable',
    );
    // Another version of the package is not covered.
    expect(
      vexStatementFor(statements, {
        ids: ['CVE-2024-6119'],
        package: { ...ssl, version: '3.0.15-1', purl: 'pkg:deb/debian/libssl3@3.0.15-1' },
      }),
    ).toBeUndefined();
    // By alias, and by name and version for a finding that has no purl (Trivy's SARIF).
    expect(
      vexStatementFor(statements, {
        ids: ['ghsa-gmj6-6f8f-6699'],
        package: { name: 'jinja2', version: '3.1.2' },
      })?.status,
    ).toBe('not_affected');
    expect(vexStatementFor(statements, { ids: ['CVE-2024-56201'] })).toBeUndefined();
  });

  it('rejects documents that are neither CycloneDX nor OpenVEX', () => {
    expect(() => parseVex('vex.json', { statements: [] })).toThrow(
      'vex.json: not a VEX document: expected CycloneDX ("bomFormat": "CycloneDX") or OpenVEX ("@context": "https://openvex.dev/ns/…")',
    );
    expect(() =>
      parseVex('vex.json', {
        '@context': 'https://openvex.dev/ns/v0.2.0',
        statements: [{ vulnerability: { name: 'CVE-1' } }],
      }),
    ).toThrow('vex.json: statements[0].status is missing');
  });
});
