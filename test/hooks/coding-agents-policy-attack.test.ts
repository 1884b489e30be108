import { describe, expect, it } from 'vitest';
import { loadPolicyDirectory } from '../../src/app/policies/node.js';
import type { HookAgent } from '../../src/hooks/agents.js';
import { readHookCall } from '../../src/hooks/payload.js';
import { hookRequest } from '../../src/hooks/request.js';
import { actorFromSystem, evaluateAction } from '../../src/policy/index.js';
import { shellPayloads, syntax, agentSystems as systems } from './fixtures.js';

// examples/policies/coding-agents.yaml's no-destructive-commands, attacked: destructive commands
// spelled the ways an agent (or a prompt injection steering it) could spell them, through each
// agent's recorded shell-tool payload and the server's own mapping (readHookCall, hookRequest).

const bundle = loadPolicyDirectory(new URL('../../examples/policies', import.meta.url).pathname);
const now = new Date('2026-11-18T10:00:00Z');

/** The effect on `command` from each agent, with the deciding rules (the same from all four). */
function effects(command: string): string[] {
  return (Object.keys(shellPayloads) as HookAgent[]).map((agent) => {
    const call = readHookCall(agent, shellPayloads[agent](command));
    if ('reason' in call) throw new Error(JSON.stringify(call));
    const request = hookRequest(call, {}, { environment: 'development', syntax });
    const verdict = evaluateAction(bundle, {
      request,
      actor: actorFromSystem(bundle.system(systems[agent])!),
      now,
    });
    const rules = verdict.reasons.filter((r) => r.effect === verdict.effect).map((r) => r.rule);
    return `${verdict.effect} ${rules.join(',')}`;
  });
}

const denied = 'deny no-destructive-commands';

describe('no-destructive-commands against evasions', () => {
  it.each([
    'rm\t-rf\t/',
    'rm  -rf  /',
    'echo hi\nrm -rf /',
    'true; rm -rf /',
    'true && rm -rf /',
    'false || rm -rf /',
    'rm -rf / &',
    'rm -rf / 2>/dev/null',
    'rm -rf / # cleanup',
    'rm -r -f /',
    'rm -fr /',
    'rm -R /',
    'rm --recursive --force /',
    'rm -rf -- /',
    'rm -rf / --no-preserve-root',
    'rm -rfv /',
    'sudo rm -rf /',
    'sudo -E rm -rf /',
    'sudo -i rm -rf /',
    'doas rm -rf /',
    '/bin/rm -rf /',
    '/usr/bin/rm -rf /',
    'r""m -rf /',
    "rm -rf '/'",
    'rm -rf "/"',
    'rm -rf /*',
    'rm -rf ~',
    'rm -rf ~/*',
    'rm -rf $HOME',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the shell's ${HOME}
    'rm -rf ${HOME}',
    'rm -rf "$HOME"',
    'rm -rf ~root',
    "bash -c 'rm -rf /'",
    "bash -lc 'rm -rf /'",
    'sh -ec "rm -rf /"',
    'eval "rm -rf /"',
    'nohup rm -rf / &',
    'timeout 60 rm -rf /',
    'nice -n 19 rm -rf /',
    'time rm -rf /',
    'exec rm -rf /',
    'command rm -rf /',
    'env -i rm -rf /',
    'find / -delete',
    'find ~ -delete',
    'mkfs.ext4 /dev/sda',
    '/sbin/mkfs.ext4 /dev/sda',
    'dd if=/dev/zero of=/dev/sda',
    'dd of=/dev/sda if=/dev/zero',
    ':(){ :|:& };:',
    'chmod -R 777 /',
    'chmod --recursive 777 /',
  ])('denies %j', (command) => {
    expect(effects(command)).toEqual(Array(4).fill(denied));
  });

  it.each([
    // GNU getopt_long takes any unambiguous prefix of a long option (rm refuses only an
    // abbreviated --no-preserve-root): `rm --recur --forc DIR` removes DIR.
    'rm --recur --force ~',
    'rm --recu --force /usr',
    'chmod --recur 777 /etc',
    // rm refuses an operand ending in `..`, but a glob under it is every top-level directory.
    'rm -rf /tmp/../*',
    // Globs and braces the shell expands to top-level directories.
    'rm -rf /*/',
    'rm -rf /[a-z]*',
    'rm -rf /{usr,etc,home}',
    'rm -rf /u*',
    // The targets come from elsewhere on the line.
    'find / -exec rm -rf {} +',
    'find / -maxdepth 1 -exec rm -rf {} \\;',
    'echo / | xargs rm -rf',
    // Wrappers (unwrapped by the parser since this review; denied, see below).
    "su -c 'rm -rf /'",
    'setsid rm -rf /',
    'chroot / rm -rf /',
    'runuser -u root -- rm -rf /',
    'strace -f rm -rf /',
    'flock /tmp/lock rm -rf /',
    // Disks written by programs other than dd and shred.
    'cp /dev/zero /dev/sda',
    'cat /dev/zero | tee /dev/sda',
  ])('does not simply allow %j', (command) => {
    for (const effect of effects(command)) expect(effect).not.toMatch(/^allow/);
  });

  it.each([
    "su -c 'rm -rf /'",
    'setsid rm -rf /',
    'chroot / rm -rf /',
    'runuser -u root -- rm -rf /',
    'strace -f rm -rf /',
    'flock /tmp/lock rm -rf /',
    "flock /tmp/lock -c 'rm -rf ~'",
  ])('denies %j under a wrapper', (command) => {
    expect(effects(command)).toEqual(Array(4).fill(denied));
  });

  it.each([
    'rm -rf ./build',
    'rm -rf node_modules',
    'rm -rf build/ dist/ coverage/',
    'rm -r -f ./tmp',
    'git rm -r --cached .',
    'git rm -rf src/old',
    'npm test',
    'docker rm -f web',
    'echo "never run rm -rf /"',
    "git commit -m 'guard against rm -rf / in scripts'",
    'grep -rn "rm -rf /" docs',
    'chmod -R 755 ./public',
    'find . -type f -name "*.log" -delete',
    'find . -name "*.tmp" -exec rm -f {} +',
    'find / -name "*.conf" -exec grep -l listen {} +',
    'cp /dev/sda backup.img',
    'echo done | tee /dev/null build.log',
    'rm -rf ~/projects/app/dist',
    'rm -rf /home/dev/project/node_modules',
    'rm -rf .next out',
    'rm -rf /tmp/build-*',
    'cargo clean && rm -rf target',
    "node -e 'function mask(x) { return x & 0xff } console.log(mask(300))'",
    "cat > run.sh <<'EOF'\nstart() { node server.js & }\nEOF",
  ])('is not denied as destructive: %j', (command) => {
    for (const effect of effects(command)) expect(effect).not.toBe(denied);
  });
});
