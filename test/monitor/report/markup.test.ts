import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  escapeHtml,
  formatCount,
  formatNumber,
  formatPercent,
  formatUtc,
  formatUtcRange,
  timeLabel,
  timeLabelStyle,
  toEpochMs,
} from '../../../src/monitor/report/markup.js';

describe('escapeHtml', () => {
  it('escapes the five characters that end text or attribute values', () => {
    expect(escapeHtml(`<script>alert("x" & 'y')</script>`)).toBe(
      '&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;',
    );
  });

  it('escapes & first, so existing entities are shown, not interpreted', () => {
    expect(escapeHtml('&lt;')).toBe('&amp;lt;');
  });

  it('replaces control characters HTML cannot carry, keeping tab and newlines', () => {
    expect(escapeHtml('a\u0000b\u001bc\td\ne\r')).toBe('a\uFFFDb\uFFFDc\td\ne\r');
  });
});

describe('UTC times', () => {
  it('converts offsets to UTC and shows seconds only when set', () => {
    expect(formatUtc('2026-11-20T16:05:00+02:00')).toBe('2026-11-20 14:05 UTC');
    expect(formatUtc('2026-11-20T23:59:30-01:00')).toBe('2026-11-21 00:59:30 UTC');
    expect(formatUtc(Date.UTC(2026, 0, 2, 3, 4))).toBe('2026-01-02 03:04 UTC');
  });

  describe('in a process whose local zone is not UTC', () => {
    const zone = process.env.TZ;
    beforeAll(() => {
      process.env.TZ = 'Asia/Kolkata';
    });
    afterAll(() => {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    });

    it('still formats in UTC', () => {
      // The premise: local time really is shifted here (UTC+05:30).
      expect(new Date(Date.UTC(2026, 10, 20, 6)).getHours()).toBe(11);
      expect(formatUtc('2026-11-20T06:00:00Z')).toBe('2026-11-20 06:00 UTC');
      expect(formatUtcRange('2026-11-20T20:00:00Z', '2026-11-20T21:00:00Z')).toBe(
        '2026-11-20 20:00 → 21:00 UTC',
      );
      expect(timeLabel(Date.UTC(2026, 10, 20, 6), 'datetime')).toBe('11-20 06:00');
      expect(timeLabelStyle([Date.UTC(2026, 10, 20, 17), Date.UTC(2026, 10, 20, 20)])).toBe('time');
    });
  });

  it('shows an invalid time as given', () => {
    expect(formatUtc('yesterday')).toBe('yesterday');
    expect(toEpochMs('yesterday')).toBeUndefined();
  });

  it('repeats the date in a range only across midnight', () => {
    expect(formatUtcRange('2026-11-20T06:00:00Z', '2026-11-20T07:00:00Z')).toBe(
      '2026-11-20 06:00 → 07:00 UTC',
    );
    expect(formatUtcRange('2026-11-20T23:00:00Z', '2026-11-21T00:00:00Z')).toBe(
      '2026-11-20 23:00 → 2026-11-21 00:00 UTC',
    );
    expect(formatUtcRange('bad', '2026-11-21T00:00:00Z')).toBe('bad → 2026-11-21 00:00 UTC');
  });

  it('labels ticks by the clock within a day, by the date for midnights, by both otherwise', () => {
    const day = Date.UTC(2026, 10, 20);
    expect(timeLabelStyle([day + 3_600_000, day + 7_200_000])).toBe('time');
    expect(timeLabelStyle([day, day + 86_400_000])).toBe('date');
    expect(timeLabelStyle([day + 3_600_000, day + 86_400_000])).toBe('datetime');
    expect(timeLabel(day + 3_600_000, 'time')).toBe('01:00');
    expect(timeLabel(day, 'date')).toBe('11-20');
    expect(timeLabel(day + 3_600_000, 'datetime')).toBe('11-20 01:00');
  });
});

describe('numbers', () => {
  it('formats metrics with up to three decimals and small p-values in exponent form', () => {
    expect(formatNumber(0.123456)).toBe('0.123');
    expect(formatNumber(0.8)).toBe('0.8');
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(0.000123)).toBe('1.2e-4');
    expect(formatNumber(-2.5)).toBe('-2.5');
    expect(formatNumber(12345.6789)).toBe('12345.679');
  });

  it('shows a dash for missing values', () => {
    for (const missing of [null, undefined, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(formatNumber(missing)).toBe('—');
      expect(formatPercent(missing)).toBe('—');
      expect(formatCount(missing)).toBe('—');
    }
  });

  it('formats shares as percentages and counts with separators', () => {
    expect(formatPercent(0.375)).toBe('37.5%');
    expect(formatPercent(1)).toBe('100%');
    expect(formatPercent(0.12345)).toBe('12.3%');
    expect(formatCount(1234567)).toBe('1,234,567');
  });
});
