import { describe, expect, it } from 'vitest';
import { isArbiterError } from '../../src/core/errors.js';
import { actorName, parseActorRef, sameActor, systemRef, userRef } from '../../src/identity/actor-ref.js';
import { foldUserName, normaliseUserName, userNameProblem } from '../../src/identity/names.js';

describe('user names have one spelling', () => {
  it('folds case, compatibility forms and surrounding space to one name', () => {
    for (const spelling of ['plat1', 'Plat1', 'PLAT1', '  plat1 ', 'ｐｌａｔ１', 'Ｐｌａｔ1\t'])
      expect(normaliseUserName(spelling), JSON.stringify(spelling)).toBe('plat1');
    expect(normaliseUserName('Alice@Example.COM')).toBe('alice@example.com');
    // Full case folding: ß is ss, as upper- then lower-casing gives.
    expect(foldUserName('Straße')).toBe('strasse');
  });

  it('refuses what is not a name, with ARB_ERR_IDENTITY_NAME_INVALID', () => {
    for (const name of [
      '',
      ' ',
      'al ice',
      'user:alice',
      'system:deploy-bot',
      '-alice',
      'alice-',
      'a'.repeat(129),
      'a\u0000b',
      'ålice',
      'аlice',
    ])
      try {
        normaliseUserName(name);
        expect.unreachable(JSON.stringify(name));
      } catch (error) {
        expect(isArbiterError(error, 'ARB_ERR_IDENTITY_NAME_INVALID'), JSON.stringify(name)).toBe(true);
      }
    expect(userNameProblem('a'.repeat(128))).toBeUndefined();
    expect(userNameProblem('a')).toBeUndefined();
  });
});

describe('typed actor references', () => {
  it('types people and Systems, and reads the bare names of older rows', () => {
    expect(userRef('alice')).toBe('user:alice');
    expect(systemRef('deploy-bot')).toBe('system:deploy-bot');
    expect(parseActorRef('user:alice')).toEqual({ kind: 'user', name: 'alice' });
    expect(parseActorRef('system:deploy-bot')).toEqual({ kind: 'system', name: 'deploy-bot' });
    for (const bare of ['alice', 'arbiter', 'group:sre', 'user:', ':x'])
      expect(parseActorRef(bare)).toBeUndefined();
    expect(actorName('system:deploy-bot')).toBe('deploy-bot');
    expect(actorName('arbiter')).toBe('arbiter');
  });

  it('matches an entry to a row only for the same typed actor, or an older bare entry of its name', () => {
    expect(sameActor('system:deploy-bot', 'system:deploy-bot')).toBe(true);
    expect(sameActor('deploy-bot', 'system:deploy-bot')).toBe(true);
    expect(sameActor('user:deploy-bot', 'system:deploy-bot')).toBe(false);
    expect(sameActor('system:deploy-bot', 'user:deploy-bot')).toBe(false);
    expect(sameActor('alice', 'user:bob')).toBe(false);
  });
});
