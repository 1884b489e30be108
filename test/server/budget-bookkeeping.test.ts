import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { NdjsonReader, parseNdjson } from '../../src/app/monitoring/batch.js';
import { ConnectionBudget } from '../../src/server/connection-budget.js';
import { FixedWindows } from '../../src/server/fixed-windows.js';

/** The bookkeeping behind the client budgets, on a clock the test moves. */

/** A stand-in socket that only records whether it was destroyed. */
function fakeSocket(): Socket & { destroyedByBudget: boolean } {
  const socket = {
    destroyedByBudget: false,
    destroy() {
      socket.destroyedByBudget = true;
      return socket;
    },
  };
  return socket as unknown as Socket & { destroyedByBudget: boolean };
}

describe('ConnectionBudget', () => {
  const limits = { maxConnections: 4, connectionsPerAddress: 2, headersTimeoutMs: 1_000 };

  it('refuses past the per-address limit and past the total, and counts closes', () => {
    const now = 0;
    const budget = new ConnectionBudget(limits, () => now);
    const a1 = fakeSocket();
    expect(budget.admit(a1, 'a')).toBeUndefined();
    expect(budget.admit(fakeSocket(), 'a')).toBeUndefined();
    expect(budget.admit(fakeSocket(), 'a')).toBe('connections-per-address');
    expect(budget.admit(fakeSocket(), 'b')).toBeUndefined();
    expect(budget.admit(fakeSocket(), 'c')).toBeUndefined();
    expect(budget.admit(fakeSocket(), 'd')).toBe('connections');
    expect(budget.open).toBe(4);
    budget.closed(a1);
    expect(budget.admit(fakeSocket(), 'd')).toBeUndefined();
  });

  it('at a limit, closes connections waiting for headers past the timeout before refusing', () => {
    let now = 0;
    const budget = new ConnectionBudget(limits, () => now);
    const slow = fakeSocket();
    const busy = fakeSocket();
    budget.admit(slow, 'a');
    budget.admit(busy, 'a');
    budget.requestStarted(busy);
    now = 1_001;
    // `slow` never sent its headers: it goes; `busy` is in a request and stays.
    expect(budget.admit(fakeSocket(), 'a')).toBeUndefined();
    expect(slow.destroyedByBudget).toBe(true);
    expect(busy.destroyedByBudget).toBe(false);
    expect(budget.admit(fakeSocket(), 'a')).toBe('connections-per-address');
  });

  it('an address whose every connection timed out is admitted again (found by CI under load)', () => {
    let now = 0;
    const budget = new ConnectionBudget(limits, () => now);
    const held = [fakeSocket(), fakeSocket()];
    for (const socket of held) budget.admit(socket, 'a');
    now = 1_001;
    // Closing both empties the address's group; the newcomer is admitted, not a crash.
    expect(budget.admit(fakeSocket(), 'a')).toBeUndefined();
    expect(held.every((socket) => socket.destroyedByBudget)).toBe(true);
    expect(budget.open).toBe(1);
  });

  it('an idle keep-alive connection waits again from the end of its last response', () => {
    let now = 0;
    const budget = new ConnectionBudget({ ...limits, connectionsPerAddress: 0 }, () => now);
    const sockets = [fakeSocket(), fakeSocket(), fakeSocket(), fakeSocket()];
    for (const socket of sockets) budget.admit(socket, 'proxy');
    budget.requestStarted(sockets[0]!);
    now = 900;
    budget.requestFinished(sockets[0]!);
    now = 1_500;
    // sockets 1–3 have waited 1 500 ms, socket 0 only 600: the oldest waiters go first.
    expect(budget.admit(fakeSocket(), 'proxy')).toBeUndefined();
    expect(sockets.map((socket) => socket.destroyedByBudget)).toEqual([false, true, true, true]);
    expect(budget.open).toBe(2);
  });

  it('a connection still within its headers timeout is never closed to make room', () => {
    let now = 0;
    const budget = new ConnectionBudget(limits, () => now);
    const sockets = [fakeSocket(), fakeSocket(), fakeSocket(), fakeSocket()];
    for (const [i, socket] of sockets.entries()) budget.admit(socket, `address-${i}`);
    now = 999;
    expect(budget.admit(fakeSocket(), 'late')).toBe('connections');
    expect(sockets.some((socket) => socket.destroyedByBudget)).toBe(false);
  });
});

describe('FixedWindows', () => {
  it('adds per key within a window, and starts over when it ends', () => {
    let now = 0;
    const windows = new FixedWindows(1_000, () => now, 3);
    windows.add('a', 5);
    windows.add('a', 7);
    windows.add('b', 1);
    expect(windows.amount('a')).toBe(12);
    now = 400;
    expect(windows.endsInMs('a')).toBe(600);
    now = 1_000;
    expect(windows.amount('a')).toBe(0);
    expect(windows.endsInMs('a')).toBe(0);
    windows.add('a', 2);
    expect(windows.amount('a')).toBe(2);
  });

  it('sweeps ended windows once it holds many keys', () => {
    let now = 0;
    const windows = new FixedWindows(10, () => now, 3);
    for (const key of ['a', 'b', 'c']) windows.add(key, 1);
    now = 20;
    windows.add('d', 1);
    for (const key of ['a', 'b', 'c']) expect(windows.amount(key)).toBe(0);
    expect(windows.amount('d')).toBe(1);
  });
});

describe('NdjsonReader', () => {
  const text = '{"a":1}\n\n[1]\r\n{"b":"é€😀"}\nnot json\n{"last":true}';

  it('reads the same items whatever the split of the text', () => {
    const whole = parseNdjson(text).items;
    expect(whole.map((item) => item.line)).toEqual([1, 3, 4, 5, 6]);
    expect(whole[3]).toMatchObject({ error: expect.stringContaining('line 5 is not JSON') });
    for (let size = 1; size <= 7; size++) {
      const reader = new NdjsonReader();
      for (let at = 0; at < text.length; at += size) reader.push(text.slice(at, at + size));
      expect(reader.end().items, `pieces of ${size}`).toEqual(whole);
    }
  });

  it('a line over the length limit is one rejected item, never held whole; the next lines still count', () => {
    const reader = new NdjsonReader(10);
    reader.push('{"ok":1}\n{"long":"');
    for (let i = 0; i < 1_000; i++) reader.push('x'.repeat(1_000));
    reader.push('"}\n{"ok":2}');
    const items = reader.end().items;
    expect(items).toEqual([
      { value: { ok: 1 }, line: 1 },
      { error: 'line 2 is longer than 10 characters', line: 2 },
      { value: { ok: 2 }, line: 3 },
    ]);
  });
});
