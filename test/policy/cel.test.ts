import { describe, expect, it } from 'vitest';
import { compileExpression, isCompileFailure } from '../../src/policy/index.js';

function reads(source: string) {
  const compiled = compileExpression(source, 'action', 'any');
  if (isCompileFailure(compiled)) throw new Error(compiled.message);
  return { reads: compiled.reads, variables: compiled.variables };
}

describe('compileExpression', () => {
  it('collects maximal field paths rooted at scope identifiers', () => {
    expect(
      reads('request.change.linesChanged > 500 && request.change.files < 3 && actor.autonomy >= 2'),
    ).toEqual({
      reads: ['actor.autonomy', 'request.change.files', 'request.change.linesChanged'],
      variables: [],
    });
  });

  it('ignores macro-bound names and reports the list read', () => {
    expect(reads('request.tags.exists(t, t.startsWith("prod"))').reads).toEqual(['request.tags']);
  });

  it('reports variables read', () => {
    expect(reads('variables.a || variables.b && request.x == 1')).toEqual({
      reads: ['request.x', 'variables.a', 'variables.b'],
      variables: ['a', 'b'],
    });
  });

  it('reports `now` as read', () => {
    expect(reads('now.getHours() > 15').reads).toEqual(['now']);
  });

  it('rejects unknown identifiers at compile time', () => {
    const failure = compileExpression('user.name == "x"', 'action', 'bool');
    expect(isCompileFailure(failure) && failure.code).toBe('ARB_ERR_POLICY_CEL_TYPE');
  });

  it('scopes differ: release is known to gates, not to action policies', () => {
    expect(isCompileFailure(compileExpression('release.x == 1', 'gate', 'bool'))).toBe(false);
    expect(isCompileFailure(compileExpression('release.x == 1', 'action', 'bool'))).toBe(true);
  });

  it('evaluates without re-parsing: the compiled program is reused', () => {
    const compiled = compileExpression('request.n > 1', 'action', 'bool');
    if (isCompileFailure(compiled)) throw new Error('compile failed');
    expect(compiled.evaluate({ request: { n: 2 } })).toBe(true);
    expect(compiled.evaluate({ request: { n: 0 } })).toBe(false);
  });
});
