import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

// The git facts a hook adds to each call: only this machine can see them. They are read from the
// files git itself reads (HEAD, config) rather than by starting git, which would cost more than
// the rest of the hook; git runs only when a config file includes another one.

export interface GitFacts {
  /** The working tree's top directory. */
  repository?: string;
  /** The checked-out branch; absent when HEAD is detached. */
  branch?: string;
  /** The `origin` remote (or the first remote), without credentials. */
  remote?: string;
}

const maxDepth = 256;

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function kindOf(path: string): 'file' | 'directory' | undefined {
  try {
    const stats = statSync(path);
    return stats.isDirectory() ? 'directory' : stats.isFile() ? 'file' : undefined;
  } catch {
    return undefined;
  }
}

interface Repository {
  top: string;
  gitDir: string;
  /** Where the shared config lives (differs from gitDir in a linked worktree). */
  commonDir: string;
}

/** The repository `cwd` is in, found as git finds it: the nearest `.git` directory or `gitdir:` file. */
function findRepository(cwd: string): Repository | undefined {
  let dir = resolve(cwd);
  for (let depth = 0; depth < maxDepth; depth++) {
    const dotGit = join(dir, '.git');
    const kind = kindOf(dotGit);
    let gitDir: string | undefined;
    if (kind === 'directory') gitDir = dotGit;
    else if (kind === 'file') {
      const target = /^gitdir:\s*(.+?)\s*$/m.exec(readText(dotGit) ?? '')?.[1];
      if (target) gitDir = resolve(dir, target);
    }
    if (gitDir) {
      const common = readText(join(gitDir, 'commondir'))?.trim();
      return { top: dir, gitDir, commonDir: common ? resolve(gitDir, common) : gitDir };
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
  return undefined;
}

/** One `[section "subsection"]` entry of a git config file; names compared as git does. */
export interface GitConfigEntry {
  section: string;
  subsection?: string;
  key: string;
  value: string;
}

/**
 * The entries of a git config file, in file order. Handles the syntax git config files use in
 * practice: comments (`#`, `;`), `[section "sub"]` and `[section.sub]` headers, quoted values,
 * backslash escapes and line continuations. Section and key names are lower-cased.
 */
export function parseGitConfig(text: string): GitConfigEntry[] {
  const entries: GitConfigEntry[] = [];
  let section = '';
  let subsection: string | undefined;
  const lines = text.replace(/\\\r?\n/g, '').split(/\r?\n/);
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[\s*([A-Za-z0-9.-]+)(?:\s+"((?:[^"\\]|\\.)*)")?\s*\](.*)$/.exec(line);
    if (header) {
      const [name, sub] = [header[1]!, header[2]];
      if (sub !== undefined) {
        section = name.toLowerCase();
        subsection = sub.replace(/\\(.)/g, '$1');
      } else {
        const dot = name.indexOf('.');
        section = (dot < 0 ? name : name.slice(0, dot)).toLowerCase();
        subsection = dot < 0 ? undefined : name.slice(dot + 1).toLowerCase();
      }
      continue;
    }
    const pair = /^([A-Za-z][A-Za-z0-9-]*)\s*(?:=\s*(.*))?$/.exec(line);
    if (!pair || !section) continue;
    entries.push({ section, subsection, key: pair[1]!.toLowerCase(), value: configValue(pair[2] ?? 'true') });
  }
  return entries;
}

/** A value as git reads it: quotes removed, escapes applied, a comment outside quotes dropped. */
function configValue(text: string): string {
  let value = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\' && i + 1 < text.length) {
      const next = text[++i]!;
      value += next === 'n' ? '\n' : next === 't' ? '\t' : next === 'b' ? '\b' : next;
    } else if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '#' || ch === ';')) break;
    else value += ch;
  }
  return value.trim();
}

function lastValue(entries: GitConfigEntry[], section: string, key: string, subsection?: string) {
  let found: string | undefined;
  for (const entry of entries)
    if (entry.section === section && entry.key === key && entry.subsection === subsection)
      found = entry.value;
  return found;
}

/** A remote URL with any user name and password removed (an HTTPS remote may carry a token). */
export function withoutCredentials(remote: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(remote)) return remote; // scp-like `git@host:org/repo.git`
  try {
    const url = new URL(remote);
    if (!url.username && !url.password) return remote;
    url.password = '';
    if (url.protocol === 'http:' || url.protocol === 'https:') url.username = '';
    return url.href;
  } catch {
    return remote.replace(/\/\/[^/@]*@/, '//');
  }
}

/** Repository, branch and remote of `cwd`; empty when it is not in a repository or cannot be read. */
export function gitFacts(cwd: string): GitFacts {
  const repository = findRepository(cwd);
  if (!repository) return {};
  const head = readText(join(repository.gitDir, 'HEAD'))?.trim();
  const branch = head?.startsWith('ref: refs/heads/') ? head.slice('ref: refs/heads/'.length) : undefined;
  const config = parseGitConfig(readText(join(repository.commonDir, 'config')) ?? '');
  const remotes = config.filter((entry) => entry.section === 'remote' && entry.key === 'url');
  const remote = lastValue(config, 'remote', 'url', 'origin') ?? remotes[0]?.value;
  return {
    repository: repository.top,
    ...(branch ? { branch } : {}),
    ...(remote ? { remote: withoutCredentials(remote) } : {}),
  };
}

/**
 * `git config user.email` as seen from `cwd`: the repository's config, then the global and system
 * files. When any of them includes another file, git itself is asked (one short process).
 */
export async function gitUserEmail(
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  const repository = findRepository(cwd);
  const home = env.HOME ?? homedir();
  const xdg = env.XDG_CONFIG_HOME
    ? join(env.XDG_CONFIG_HOME, 'git', 'config')
    : join(home, '.config', 'git', 'config');
  // Highest precedence first, as git resolves them.
  const files = [
    ...(repository ? [join(repository.commonDir, 'config')] : []),
    env.GIT_CONFIG_GLOBAL ?? join(home, '.gitconfig'),
    ...(env.GIT_CONFIG_GLOBAL ? [] : [xdg]),
    ...(env.GIT_CONFIG_NOSYSTEM ? [] : [env.GIT_CONFIG_SYSTEM ?? '/etc/gitconfig']),
  ];
  const texts = files.map(readText);
  if (texts.some((text) => text !== undefined && /^\s*\[\s*include(if)?\b/im.test(text))) return askGit(cwd);
  for (const text of texts) {
    const email = text === undefined ? undefined : lastValue(parseGitConfig(text), 'user', 'email');
    if (email) return email;
  }
  return undefined;
}

async function askGit(cwd: string): Promise<string | undefined> {
  // Loaded here: most hook calls never start a process.
  const { execFile } = await import('node:child_process');
  return new Promise((resolve) => {
    execFile(
      'git',
      ['config', '--get', 'user.email'],
      { cwd, encoding: 'utf8', timeout: 2_000 },
      (error, stdout) => resolve(error ? undefined : stdout.trim() || undefined),
    );
  });
}
