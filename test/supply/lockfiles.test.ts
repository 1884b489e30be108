import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findLockfiles } from '../../src/app/supply/lockfile-files.js';
import {
  isLockfile,
  type LockedPackage,
  LockfileError,
  parseLockfile,
  unpinnedRequirements,
} from '../../src/supply/lockfiles.js';
import { tempDir } from '../helpers/temp.js';

/** An npm integrity string and the hex digest it should turn into. */
function sri(data: string, alg: 'sha512' | 'sha256' = 'sha512') {
  return {
    integrity: `${alg}-${createHash(alg).update(data).digest('base64')}`,
    hex: createHash(alg).update(data).digest('hex'),
  };
}
const hex = (c: string) => c.repeat(64);
const brief = (pkgs: LockedPackage[]) => pkgs.map((p) => `${p.name}@${p.version} ${p.scope}`);
const errorOf = (fn: () => unknown): LockfileError => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(LockfileError);
    return error as LockfileError;
  }
  throw new Error('expected a LockfileError');
};

describe('package-lock.json', () => {
  const scoped = sri('scoped');
  const a = sri('a@1');
  const lockV3 = JSON.stringify({
    name: 'app',
    version: '1.0.0',
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name: 'app', version: '1.0.0', dependencies: { '@acme/widget': '^2.0.0', b: '^1.0.0' } },
      'node_modules/@acme/widget': {
        version: '2.1.0+build.5',
        resolved: 'https://registry.npmjs.org/@acme/widget/-/widget-2.1.0.tgz',
        integrity: `${scoped.integrity} sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk=`,
        license: 'MIT',
      },
      'node_modules/a': { version: '1.0.0', integrity: a.integrity, dev: true },
      'node_modules/b': { version: '1.2.0', license: 'ISC' },
      // Same a@1.0.0 again, nested and needed at runtime through b: one package, required.
      'node_modules/b/node_modules/a': { version: '1.0.0', integrity: a.integrity },
      'node_modules/c/node_modules/a': { version: '2.0.0', dev: true },
      'node_modules/c': { version: '3.0.0', dev: true },
      'node_modules/fsevents': { version: '2.3.3', optional: true, os: ['darwin'] },
      'node_modules/typescript': { version: '5.9.3', devOptional: true },
      'node_modules/my-alias': { name: 'real-pkg', version: '4.0.0' },
      'node_modules/JSONStream': { version: '1.3.5' }, // a legacy mixed-case name
      // Some tools also copy the workspace's version onto the link; it is still our own code.
      'node_modules/@acme/local': { resolved: 'packages/local', link: true, version: '0.0.1' },
      'packages/local': { name: '@acme/local', version: '0.0.1' },
      'node_modules/broken': { resolved: 'https://example.com/broken.tgz' },
    },
  });

  it('reads v3 packages: scoped names, nested duplicates, dev/optional, aliases; skips root, links, workspaces', () => {
    const pkgs = parseLockfile('web/package-lock.json', lockV3);
    expect(brief(pkgs)).toEqual([
      '@acme/widget@2.1.0+build.5 required',
      'a@1.0.0 required',
      'a@2.0.0 optional',
      'b@1.2.0 required',
      'c@3.0.0 optional',
      'fsevents@2.3.3 optional',
      'JSONStream@1.3.5 required',
      'real-pkg@4.0.0 required',
      'typescript@5.9.3 optional',
    ]);
    expect(pkgs[0]).toEqual({
      ecosystem: 'npm',
      name: '@acme/widget',
      version: '2.1.0+build.5',
      license: 'MIT',
      purl: 'pkg:npm/%40acme/widget@2.1.0%2Bbuild.5',
      scope: 'required',
      // sha1 is dropped: too weak to identify content.
      hashes: [{ alg: 'SHA-512', content: scoped.hex }],
      source: 'web/package-lock.json',
    });
    expect(pkgs[1]!.hashes).toEqual([{ alg: 'SHA-512', content: a.hex }]);
    expect(pkgs[1]!.purl).toBe('pkg:npm/a@1.0.0');
    expect(pkgs[1]!).not.toHaveProperty('license');
    expect(pkgs[3]!.license).toBe('ISC');
    expect(pkgs.find((p) => p.name === 'JSONStream')!.purl).toBe('pkg:npm/jsonstream@1.3.5');
  });

  it('reads v2 and npm-shrinkwrap.json from the packages map, not the legacy tree', () => {
    const v2 = JSON.stringify({
      lockfileVersion: 2,
      packages: { '': {}, 'node_modules/left-pad': { version: '1.3.0' } },
      dependencies: { 'left-pad': { version: '1.1.0' } },
    });
    expect(brief(parseLockfile('npm-shrinkwrap.json', v2))).toEqual(['left-pad@1.3.0 required']);
  });

  it('reads v1 nested dependency trees', () => {
    const sha256 = sri('ms', 'sha256');
    const v1 = JSON.stringify({
      name: 'old',
      lockfileVersion: 1,
      dependencies: {
        debug: {
          version: '2.6.9',
          integrity: sri('debug').integrity,
          requires: { ms: '2.0.0' },
          dependencies: { ms: { version: '2.0.0', integrity: sha256.integrity } },
        },
        ms: { version: '2.1.3', dev: true },
        mocha: {
          version: '10.0.0',
          dev: true,
          dependencies: { ms: { version: '2.0.0', dev: true } },
        },
        'my-lodash': { version: 'npm:lodash@4.17.21' },
        'from-git': {
          version: 'github:acme/from-git#0123abc',
          dependencies: { inner: { version: '1.0.0' } },
        },
      },
    });
    const pkgs = parseLockfile('legacy/package-lock.json', v1);
    expect(brief(pkgs)).toEqual([
      'debug@2.6.9 required',
      'inner@1.0.0 required',
      'lodash@4.17.21 required',
      'mocha@10.0.0 optional',
      'ms@2.0.0 required',
      'ms@2.1.3 optional',
    ]);
    expect(pkgs.find((p) => p.version === '2.0.0')!.hashes).toEqual([
      { alg: 'SHA-256', content: sha256.hex },
    ]);
  });

  it('rejects malformed JSON, naming the file and line', () => {
    const error = errorOf(() => parseLockfile('app/package-lock.json', '{\n  "lockfileVersion": 3,\n}\n'));
    expect(error.message).toMatch(/^app\/package-lock\.json:3: invalid JSON/);
    expect(errorOf(() => parseLockfile('package-lock.json', '')).message).toMatch(/^package-lock\.json: /);
  });

  it('rejects unsupported lockfile versions and shapes', () => {
    expect(errorOf(() => parseLockfile('x/package-lock.json', '{"lockfileVersion": 4}')).message).toBe(
      'x/package-lock.json: unsupported lockfileVersion 4',
    );
    expect(errorOf(() => parseLockfile('package-lock.json', '{"name": "x"}')).message).toMatch(
      /^package-lock\.json: unsupported lockfileVersion/,
    );
    expect(errorOf(() => parseLockfile('package-lock.json', '[1]')).message).toMatch(/^package-lock\.json: /);
    expect(errorOf(() => parseLockfile('package-lock.json', '{"lockfileVersion": 3}')).message).toMatch(
      /without "packages"/,
    );
  });
});

describe('requirements.txt', () => {
  const text = [
    '# generated by pip-compile',
    '-r base.txt',
    '-c constraints.txt',
    '--index-url https://pypi.org/simple',
    'Requests[socks,security]==2.31.0 \\',
    `    --hash=sha256:${hex('A')} \\`,
    `    --hash=sha256:${hex('b')} \\`,
    `    --hash=sha256:${hex('a')}`,
    '    # via -r requirements.in',
    `typing_extensions == 4.12.2 ; python_version < "3.11"  # backport --hash=sha256:${hex('c')}`,
    `zope.interface===6.0-custom --hash sha512:${'d'.repeat(128)} --hash=sha384:${'e'.repeat(96)}`,
    'numpy>=1.26',
    'torch~=2.3.0',
    'pandas',
    'scipy==1.13.*',
    'attrs (==23.2.0)',
    'flask>=3,==3.0.3',
    'mylib[extra] @ https://example.com/mylib-1.0.tar.gz',
    'literal===1.0.*',
    '-e git+https://github.com/acme/tool.git#egg=acme-tool',
    '-e ./local-pkg',
    'https://example.com/wheels/other-1.0-py3-none-any.whl',
    'requests==2.31.0',
    '',
  ].join('\n');

  it('keeps exact pins with their hashes, extras, markers and comments stripped', () => {
    const pkgs = parseLockfile('svc/requirements.txt', text);
    expect(pkgs).toEqual([
      {
        ecosystem: 'PyPI',
        name: 'attrs',
        version: '23.2.0',
        purl: 'pkg:pypi/attrs@23.2.0',
        scope: 'required',
        hashes: [],
        source: 'svc/requirements.txt',
      },
      {
        ecosystem: 'PyPI',
        name: 'literal',
        version: '1.0.*', // "===" compares strings: a "*" is just a character
        purl: 'pkg:pypi/literal@1.0.%2A',
        scope: 'required',
        hashes: [],
        source: 'svc/requirements.txt',
      },
      {
        ecosystem: 'PyPI',
        name: 'Requests',
        version: '2.31.0',
        purl: 'pkg:pypi/requests@2.31.0',
        scope: 'required',
        // "A…" and "a…" are the same digest; the later unhashed duplicate pin adds nothing.
        hashes: [
          { alg: 'SHA-256', content: hex('a') },
          { alg: 'SHA-256', content: hex('b') },
        ],
        source: 'svc/requirements.txt',
      },
      {
        ecosystem: 'PyPI',
        name: 'typing_extensions',
        version: '4.12.2',
        purl: 'pkg:pypi/typing-extensions@4.12.2',
        scope: 'required',
        hashes: [], // the "--hash" after "#" is part of the comment
        source: 'svc/requirements.txt',
      },
      {
        ecosystem: 'PyPI',
        name: 'zope.interface',
        version: '6.0-custom',
        purl: 'pkg:pypi/zope-interface@6.0-custom',
        scope: 'required',
        hashes: [{ alg: 'SHA-512', content: 'd'.repeat(128) }],
        source: 'svc/requirements.txt',
      },
    ]);
  });

  it('lists what it skipped so a caller can warn', () => {
    expect(unpinnedRequirements('svc/requirements.txt', text)).toEqual([
      'numpy',
      'torch',
      'pandas',
      'scipy',
      'flask',
      'mylib',
      'acme-tool',
      './local-pkg',
      'https://example.com/wheels/other-1.0-py3-none-any.whl',
    ]);
    expect(unpinnedRequirements('poetry.lock', 'numpy>=1')).toEqual([]);
  });

  it('recognises requirements-*.txt names and CRLF line endings', () => {
    const pkgs = parseLockfile('requirements-dev.txt', `pytest==8.2.0 \\\r\n  --hash=sha256:${hex('f')}\r\n`);
    expect(pkgs.map((p) => [p.purl, p.hashes.length])).toEqual([['pkg:pypi/pytest@8.2.0', 1]]);
  });
});

describe('poetry.lock', () => {
  it('reads packages, groups and file hashes (Poetry 2 format)', () => {
    const lock = `
# This file is automatically @generated by Poetry 2.1.1 and should not be changed by hand.

[[package]]
name = "certifi"
version = "2024.8.30"
description = "Python package for providing Mozilla's CA Bundle."
optional = false
python-versions = ">=3.6"
groups = ["main"]
files = [
    {file = "certifi-2024.8.30-py3-none-any.whl", hash = "sha256:${hex('1')}"},
    {file = "certifi-2024.8.30.tar.gz", hash = "sha256:${hex('2')}"},
]

[[package]]
name = "pytest"
version = "8.3.3"
optional = false
python-versions = ">=3.8"
groups = ["dev", "test"]
files = [
    {file = "pytest-8.3.3-py3-none-any.whl", hash = "sha256:${hex('3')}"},
]

[[package]]
name = "PySocks"
version = "1.7.1"
optional = true
python-versions = "*"
groups = ["main"]
files = []

[package.extras]
dev = ["pytest"]

[metadata]
lock-version = "2.1"
python-versions = "^3.11"
content-hash = "${hex('9')}"
`;
    const pkgs = parseLockfile('py/poetry.lock', lock);
    expect(brief(pkgs)).toEqual([
      'certifi@2024.8.30 required',
      'PySocks@1.7.1 optional',
      'pytest@8.3.3 optional',
    ]);
    expect(pkgs[0]!.hashes).toEqual([
      { alg: 'SHA-256', content: hex('1') },
      { alg: 'SHA-256', content: hex('2') },
    ]);
    expect(pkgs[1]!.purl).toBe('pkg:pypi/pysocks@1.7.1');
    expect(pkgs[0]!.source).toBe('py/poetry.lock');
  });

  it('reads category and [metadata.files] (Poetry 1.x format)', () => {
    const lock = `
[[package]]
name = "black"
version = "23.1.0"
category = "dev"
optional = false

[[package]]
name = "idna"
version = "3.4"
category = "main"
optional = false

[metadata]
lock-version = "1.1"

[metadata.files]
black = [
    {file = "black-23.1.0.tar.gz", hash = "sha256:${hex('4')}"},
]
idna = []
`;
    const pkgs = parseLockfile('poetry.lock', lock);
    expect(brief(pkgs)).toEqual(['black@23.1.0 optional', 'idna@3.4 required']);
    expect(pkgs[0]!.hashes).toEqual([{ alg: 'SHA-256', content: hex('4') }]);
  });

  it('rejects malformed TOML with the file and line', () => {
    const error = errorOf(() =>
      parseLockfile('py/poetry.lock', '[[package]]\nname = "x"\nversion = 1.0.0\n'),
    );
    expect(error.message).toMatch(/^py\/poetry\.lock:3: invalid TOML: /);
    expect(error.message).not.toContain('\n');
  });
});

describe('uv.lock', () => {
  const lock = `version = 1
requires-python = ">=3.12"

[[package]]
name = "myapp"
version = "0.1.0"
source = { editable = "." }
dependencies = [
    { name = "httpx", extra = ["http2"] },
    { name = "anyio" },
]

[package.optional-dependencies]
gpu = [
    { name = "cupy" },
]

[package.dev-dependencies]
dev = [
    { name = "pytest" },
    { name = "anyio" },
]

[package.metadata]
requires-dist = [{ name = "httpx", extras = ["http2"], specifier = ">=0.27" }]

[[package]]
name = "anyio"
version = "4.6.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [
    { name = "packaging", version = "24.1", source = { registry = "https://pypi.org/simple" } },
]
sdist = { url = "https://files.pythonhosted.org/anyio-4.6.0.tar.gz", hash = "sha256:${hex('5')}", size = 173422 }
wheels = [
    { url = "https://files.pythonhosted.org/anyio-4.6.0-py3-none-any.whl", hash = "sha256:${hex('6')}", size = 89631 },
]

[[package]]
name = "cupy"
version = "13.3.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "h2"
version = "4.1.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [
    { name = "hpack" },
]

[[package]]
name = "hpack"
version = "4.0.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "httpx"
version = "0.27.2"
source = { registry = "https://pypi.org/simple" }
dependencies = [
    { name = "anyio" },
]
sdist = { url = "https://files.pythonhosted.org/httpx-0.27.2.tar.gz", hash = "sha256:${hex('7')}", size = 144189 }
wheels = [
    { url = "https://files.pythonhosted.org/httpx-0.27.2-py3-none-any.whl", hash = "sha256:${hex('8')}", size = 76395 },
    { url = "https://files.pythonhosted.org/httpx-0.27.2-py3-none-any.whl", hash = "sha256:${hex('8')}", size = 76395 },
]

[package.optional-dependencies]
http2 = [
    { name = "h2" },
]
brotli = [
    { name = "brotli" },
]

[[package]]
name = "brotli"
version = "1.1.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "pluggy"
version = "1.5.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "pytest"
version = "8.3.3"
source = { registry = "https://pypi.org/simple" }
dependencies = [
    { name = "pluggy" },
    { name = "packaging", version = "23.2", source = { registry = "https://pypi.org/simple" } },
]

[[package]]
name = "packaging"
version = "24.1"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "packaging"
version = "23.2"
source = { registry = "https://pypi.org/simple" }
`;

  it('skips the project, follows runtime edges (with extras), and marks dev/extras-only packages optional', () => {
    const pkgs = parseLockfile('uv.lock', lock);
    expect(brief(pkgs)).toEqual([
      'anyio@4.6.0 required', // also a dev dependency, but runtime wins
      'brotli@1.1.0 optional', // an extra of httpx nobody asked for
      'cupy@13.3.0 optional', // the project's own extra
      'h2@4.1.0 required',
      'hpack@4.0.0 required',
      'httpx@0.27.2 required',
      'packaging@23.2 optional', // two versions locked: the edges say which one runtime uses
      'packaging@24.1 required',
      'pluggy@1.5.0 optional',
      'pytest@8.3.3 optional',
    ]);
    const httpx = pkgs.find((p) => p.name === 'httpx')!;
    expect(httpx.hashes).toEqual([
      { alg: 'SHA-256', content: hex('7') },
      { alg: 'SHA-256', content: hex('8') },
    ]);
    expect(httpx.purl).toBe('pkg:pypi/httpx@0.27.2');
  });

  it('treats a virtual root the same way and rejects unknown lock versions', () => {
    const virtual = lock.replace('source = { editable = "." }', 'source = { virtual = "." }');
    expect(brief(parseLockfile('uv.lock', virtual))).toEqual(brief(parseLockfile('uv.lock', lock)));
    expect(
      errorOf(() => parseLockfile('a/uv.lock', lock.replace('version = 1\n', 'version = 2\n'))).message,
    ).toBe('a/uv.lock: unsupported uv.lock version 2');
  });

  it('rejects malformed TOML with the file and line', () => {
    expect(errorOf(() => parseLockfile('uv.lock', 'version = 1\n\n[[package]\n')).message).toMatch(
      /^uv\.lock:3: invalid TOML: /,
    );
  });
});

describe('detection and discovery', () => {
  it('knows lockfiles by base name only', () => {
    for (const name of [
      'package-lock.json',
      'a/npm-shrinkwrap.json',
      'requirements.txt',
      'x/requirements-gpu.txt',
    ]) {
      expect(isLockfile(name)).toBe(true);
    }
    for (const name of [
      'package.json',
      'pyproject.toml',
      'requirements.in',
      'yarn.lock',
      'my-requirements.txt',
    ]) {
      expect(isLockfile(name)).toBe(false);
    }
    expect(errorOf(() => parseLockfile('dir/yarn.lock', '')).message).toBe(
      'dir/yarn.lock: not a supported lockfile',
    );
  });

  it('finds lockfiles recursively, skipping installed trees, virtualenvs and dot-directories', () => {
    const dir = tempDir('arbiter-lockfiles-');
    const files = [
      'package-lock.json',
      'svc/uv.lock',
      'svc/requirements-dev.txt',
      'py/poetry.lock',
      'node_modules/dep/package-lock.json',
      'web/node_modules/x/npm-shrinkwrap.json',
      '.venv/lib/requirements.txt',
      'venv/requirements.txt',
      '.git/uv.lock',
      '.cache/poetry.lock',
      'svc/pyproject.toml',
      'svc-b/uv.lock', // sorts before svc/ although a directory walk meets svc first
    ];
    for (const file of files) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), '');
    }
    expect(findLockfiles(dir).map((f) => f.slice(dir.length + 1))).toEqual([
      'package-lock.json',
      'py/poetry.lock',
      'svc-b/uv.lock',
      'svc/requirements-dev.txt',
      'svc/uv.lock',
    ]);
  });
});

describe("this repository's package-lock.json", () => {
  const root = new URL('../../', import.meta.url).pathname;
  const pkgs = parseLockfile(
    join(root, 'package-lock.json'),
    readFileSync(join(root, 'package-lock.json'), 'utf8'),
  );
  const installed = (name: string) =>
    JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version as string;

  it('matches what is installed', () => {
    for (const name of ['fastify', 'better-sqlite3', '@sinclair/typebox', 'vitest']) {
      const versions = pkgs.filter((p) => p.name === name).map((p) => p.version);
      expect(versions, name).toContain(installed(name));
    }
    const find = (name: string) => pkgs.find((p) => p.name === name && p.version === installed(name))!;
    expect(find('fastify').scope).toBe('required');
    expect(find('vitest').scope).toBe('optional');
    expect(find('@sinclair/typebox').purl).toBe(
      `pkg:npm/%40sinclair/typebox@${installed('@sinclair/typebox')}`,
    );
    expect(find('fastify').hashes.map((h) => h.alg)).toEqual(['SHA-512']);
    expect(find('fastify').hashes[0]!.content).toMatch(/^[0-9a-f]{128}$/);
  });

  it('gives every package a well-formed, unique purl', () => {
    expect(pkgs.length).toBeGreaterThan(50);
    const purls = new Set<string>();
    for (const p of pkgs) {
      expect(p.purl).toMatch(/^pkg:npm\/(?:%40[a-z0-9._~%-]+\/)?[a-z0-9._~%-]+@[A-Za-z0-9._~%-]+$/);
      const [path, version] = p.purl.slice('pkg:npm/'.length).split('@');
      expect(decodeURIComponent(path!)).toBe(p.name.toLowerCase());
      expect(decodeURIComponent(version!)).toBe(p.version);
      purls.add(p.purl);
    }
    expect(purls.size).toBe(pkgs.length);
  });
});

describe('packages installed from git', () => {
  const commit = '0123456789abcdef0123456789abcdef01234567';

  it('get a pkg:github purl from poetry.lock, uv.lock, package-lock.json and requirements', () => {
    const poetry = parseLockfile(
      'poetry.lock',
      `[[package]]\nname = "tinylib"\nversion = "0.3.0"\n\n[package.source]\ntype = "git"\nurl = "https://github.com/Example/TinyLib.git"\nreference = "main"\nresolved_reference = "${commit}"\n`,
    );
    expect(poetry.map((p) => p.purl)).toEqual([`pkg:github/example/tinylib@${commit}`]);
    const uv = parseLockfile(
      'uv.lock',
      `version = 1\n\n[[package]]\nname = "tinylib"\nversion = "0.3.0"\nsource = { git = "https://github.com/example/tinylib?rev=v0.3#${commit}" }\n`,
    );
    expect(uv.map((p) => p.purl)).toEqual([`pkg:github/example/tinylib@${commit}`]);
    const npm = parseLockfile(
      'package-lock.json',
      JSON.stringify({
        lockfileVersion: 3,
        packages: {
          '': { name: 'app' },
          'node_modules/tiny': {
            version: '1.0.0',
            resolved: `git+ssh://git@github.com/example/tiny.git#${commit}`,
          },
        },
      }),
    );
    expect(npm.map((p) => p.purl)).toEqual([`pkg:github/example/tiny@${commit}`]);
    const requirements = parseLockfile(
      'requirements.txt',
      `tinylib @ git+https://github.com/example/tinylib@${commit}\n`,
    );
    expect(requirements.map((p) => [p.purl, p.version])).toEqual([
      [`pkg:github/example/tinylib@${commit}`, commit],
    ]);
  });

  it('keep their ecosystem purl with a vcs_url qualifier when the repository is not on GitHub', () => {
    const poetry = parseLockfile(
      'poetry.lock',
      `[[package]]\nname = "tinylib"\nversion = "0.3.0"\n\n[package.source]\ntype = "git"\nurl = "https://gitlab.example.org/ml/tinylib.git"\nresolved_reference = "${commit}"\n`,
    );
    expect(poetry.map((p) => p.purl)).toEqual([
      `pkg:pypi/tinylib@0.3.0?vcs_url=${encodeURIComponent(`git+https://gitlab.example.org/ml/tinylib.git@${commit}`)}`,
    ]);
  });

  it('leave a requirement pinned to a branch out, with a warning, as before', () => {
    const text = 'tinylib @ git+https://github.com/example/tinylib@main\n';
    expect(parseLockfile('requirements.txt', text)).toEqual([]);
    expect(unpinnedRequirements('requirements.txt', text)).toEqual(['tinylib']);
  });
});
