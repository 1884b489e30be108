import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/core/canonical-json.js';
import { sha256Hex } from '../../src/core/digest.js';
import type { JsonValue } from '../../src/core/json.js';
import {
  bounded,
  boundedText,
  elide,
  maxInlineBytes,
  recordedFact,
  recordedFacts,
  recordedRequest,
  recordedVerdict,
} from '../../src/decisions/recorded-request.js';
import { evaluateAction, type Verdict } from '../../src/policy/index.js';
import type { ActionRequest } from '../../src/policy/request.js';
import { actionPolicy, bundleOf } from '../helpers/bundle.js';

describe('what the ledger keeps of a request', () => {
  it('elides by the RFC 8785 JSON: digest and size of exactly those bytes', () => {
    const value = { b: 'é', a: [1, 2] };
    const json = canonicalJson(value);
    expect(elide(value)).toEqual({ digest: `sha256:${sha256Hex(json)}`, size: Buffer.byteLength(json) });
  });

  it('keeps values up to the bound and elides the first byte over it', () => {
    const at = 'x'.repeat(maxInlineBytes - 2); // two quotes make it exactly the bound
    expect(bounded(at)).toBe(at);
    expect(bounded(`${at}x`)).toEqual(elide(`${at}x`));
    // Multi-byte characters count in bytes, not characters.
    const wide = 'é'.repeat(200);
    expect(bounded(wide)).toEqual(elide(wide));
    expect(boundedText('short')).toBe('short');
    // Digest and size are of the text's JSON (with its quotes), as for every elided value.
    expect(boundedText('y'.repeat(300))).toMatch(/^\(302 bytes, sha256:[0-9a-f]{64}\)$/);
  });

  it('bounds a message by the same measure it reports: the bytes of its RFC 8785 JSON, quotes and escapes included', () => {
    const kept = (text: string) => boundedText(text) === text;
    const reported = (text: string) =>
      Number(/^\((\d+) bytes, sha256:[0-9a-f]{64}\)$/.exec(boundedText(text))?.[1]);
    // JSON bytes: the text's UTF-8 bytes and two quotes.
    const ascii = (jsonBytes: number) => 'm'.repeat(jsonBytes - 2);
    expect(kept(ascii(maxInlineBytes - 1))).toBe(true);
    expect(kept(ascii(maxInlineBytes))).toBe(true);
    expect(kept(ascii(maxInlineBytes + 1))).toBe(false);
    expect(reported(ascii(maxInlineBytes + 1))).toBe(maxInlineBytes + 1);
    // Before: the raw byte count was compared, so 255 and 256 bytes of text were kept (JSON 257, 258)
    // while 257 bytes of text were reported as 259.
    expect(kept('m'.repeat(maxInlineBytes - 1))).toBe(false);
    expect(reported('m'.repeat(maxInlineBytes - 1))).toBe(maxInlineBytes + 1);
    // Multi-byte: 'é' is two UTF-8 bytes, '€' three; 127 × 'é' + quotes = 256, one more 'é' is over.
    expect(kept('é'.repeat(127))).toBe(true);
    expect(kept(`${'é'.repeat(127)}m`)).toBe(false);
    expect(reported(`${'é'.repeat(127)}m`)).toBe(257);
    expect(kept(`${'€'.repeat(84)}mm`)).toBe(true); // 252 + 2 + 2
    expect(reported('€'.repeat(85))).toBe(257); // 255 + 2
    // Escapes count as JSON writes them: a newline is two bytes (\n), so 128 newlines are 258.
    expect(kept('\n'.repeat(127))).toBe(true);
    expect(reported('\n'.repeat(128))).toBe(258);
  });

  it('never keeps prose verbatim, whatever its size; keeps small numbers and flags of change and context', () => {
    expect(recordedFact('request.rationale', 'ok')).toEqual(elide('ok'));
    expect(recordedFact('request.evidence', [])).toEqual(elide([]));
    expect(recordedFact('request.evidence[0].url', 'https://x')).toEqual(elide('https://x'));
    expect(recordedFact('request.change.linesChanged', 812)).toBe(812);
    expect(recordedFact('request.context.ticket', 'OPS-1')).toBe('OPS-1');
    // A path that merely starts like a prose field is not one.
    expect(recordedFact('request.rationaleScore', 3)).toBe(3);
  });

  it('records the digest, the identifying fields, the sizes of free text and the facts every rule read', () => {
    const request = {
      action: 'deploy',
      resource: { type: 'service', id: 'payments', environment: 'prod' },
      rationale: 'secret-ish',
      confidence: 0.5,
      context: { ticket: 'OPS-1' },
    };
    const verdict = {
      reasons: [
        {
          policy: 'p',
          rule: 'a',
          effect: 'deny',
          message: 'm',
          facts: { 'request.rationale': 'secret-ish' },
        },
      ],
      notFired: [{ policy: 'p', rule: 'b', effect: 'allow', facts: { 'request.confidence': 0.5 } }],
      shadow: [],
    } as unknown as Verdict;
    const recorded = recordedRequest(request, verdict);
    expect(recorded).toEqual({
      request: { action: 'deploy', resource: request.resource, confidence: 0.5 },
      requestDigest: `sha256:${sha256Hex(canonicalJson(request))}`,
      withheld: { rationale: 12, context: 18 },
      facts: { 'request.rationale': elide('secret-ish'), 'request.confidence': 0.5 },
    });
    expect(JSON.stringify(recorded)).not.toContain('secret-ish');
  });
});

describe('recordedVerdict', () => {
  const bundle = bundleOf({
    'prose.yaml': actionPolicy(
      'prose',
      `  rules:
${Array.from(
  { length: 6 },
  (_, i) => `    - name: reads-prose-${i}
      when: size(request.rationale) > ${i * 10} && request.change.linesChanged > ${i * 100}
      effect: ${i % 2 === 0 ? 'allow' : 'require_approval'}
`,
).join('')}    - name: reads-context
      when: request.context.risk == "high"
      effect: deny
      message: too risky
`,
    ),
  });
  const actor = { id: 'deploy-bot', kind: 'agent' as const, autonomy: 2 };
  const now = new Date('2026-03-04T10:00:00.000Z');
  const requests = [
    { linesChanged: 50, risk: 'low', rationale: 'short' },
    { linesChanged: 450, risk: 'high', rationale: 'r'.repeat(400) },
    { linesChanged: 900, risk: 'high', rationale: 'ü'.repeat(35) },
  ].map(({ linesChanged, risk, rationale }) => ({
    action: 'deploy',
    resource: { type: 'service', id: 'payments', environment: 'prod' },
    rationale,
    change: { linesChanged, note: 'n'.repeat(300) },
    context: { risk },
  }));
  /** The literal it replaces: every entry spread with its facts recorded on their own. */
  const reference = (verdict: Verdict) => {
    const facts = <T extends { facts: object }>(rule: T): T => ({
      ...rule,
      facts: recordedFacts(rule.facts as Record<string, JsonValue>),
    });
    return {
      ...verdict,
      reasons: verdict.reasons.map(facts),
      notFired: verdict.notFired.map(facts),
      shadow: verdict.shadow.map(facts),
    };
  };

  it('is the same bytes as recording each entry on its own, and records each fact set once', () => {
    for (const request of requests) {
      const verdict = evaluateAction(bundle, { request: request as ActionRequest, actor, now });
      const recorded = recordedVerdict(verdict);
      expect(JSON.stringify(recorded)).toBe(JSON.stringify(reference(verdict)));
      expect(recorded).toEqual(reference(verdict));
      // Entries whose facts are one object (rules reading the same fields) share one recorded form.
      const entries = [...verdict.reasons, ...verdict.notFired];
      const recordedEntries = [...recorded.reasons, ...recorded.notFired];
      for (let i = 0; i < entries.length; i++)
        for (let j = i + 1; j < entries.length; j++)
          if (entries[i]!.facts === entries[j]!.facts)
            expect(recordedEntries[i]!.facts).toBe(recordedEntries[j]!.facts);
      // The verdict itself is left as it was: its prose facts verbatim.
      expect(JSON.stringify(verdict)).toContain(request.rationale);
    }
  });
});
