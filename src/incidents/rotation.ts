import type { OnCallRotationRecord } from '../policy/on-call.js';
import { weekdays } from '../policy/on-call.js';

/**
 * Who is on call at an instant, from an OnCallRotation: pure, no clock. Handoffs happen at a local
 * wall-clock time in the rotation's time zone, so a weekly Monday 09:00 handoff stays at 09:00 across
 * daylight-saving changes.
 */

/** Who was (or is) on call, and for which span. */
export interface OnCallShift {
  rotation: string;
  person: string;
  /** `override` when an override of the rotation covers the instant. */
  source: 'rotation' | 'override';
  /** The shift (or override) as ISO 8601 UTC instants: [from, to). */
  from: string;
  to: string;
  /** 0-based position of the person in `members` (rotation shifts only). */
  index?: number;
  reason?: string;
}

const dayMs = 86_400_000;
const mod = (n: number, m: number) => ((n % m) + m) % m;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

/** The wall clock in `timeZone` at `instant` (whole seconds), written as epoch ms of that wall time in UTC. */
function wallClock(instant: number, timeZone: string): number {
  const parts = formatter(timeZone).formatToParts(new Date(instant));
  const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((part) => part.type === type)!.value);
  return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
}

function offsetAt(instant: number, timeZone: string): number {
  const seconds = Math.floor(instant / 1000) * 1000;
  return wallClock(seconds, timeZone) - seconds;
}

/** The instant the wall clock in `timeZone` shows `wall`; the offset is re-read once to land on the right side of a DST change. */
function instantOfWall(wall: number, timeZone: string): number {
  const guess = wall - offsetAt(wall, timeZone);
  return wall - offsetAt(guess, timeZone);
}

/** 1970-01-01 was a Thursday (4). */
const weekdayOf = (dayNumber: number) => mod(dayNumber + 4, 7);

/** The rotation's shift containing `at` (ignoring overrides). Requires a rotation that loaded (valid zone, start, time). */
export function shiftAt(rotation: OnCallRotationRecord, at: Date): OnCallShift {
  const { timezone, handoff, members } = rotation;
  const period = handoff.every === 'week' ? 7 : 1;
  const [hours, minutes] = handoff.at.split(':').map(Number) as [number, number];
  const handoffMs = (hours * 60 + minutes) * 60_000;
  const wall = wallClock(at.getTime(), timezone);
  const today = Math.floor(wall / dayMs);
  const handoffWeekday = weekdays.indexOf(handoff.day);
  // The last handoff day on or before today; today counts only once its handoff time has passed.
  let handoffDay = handoff.every === 'week' ? today - mod(weekdayOf(today) - handoffWeekday, 7) : today;
  if (handoffDay === today && wall - today * dayMs < handoffMs) handoffDay -= period;
  const startDay = Math.floor(Date.parse(`${rotation.start}T00:00:00Z`) / dayMs);
  const firstHandoff =
    handoff.every === 'week' ? startDay + mod(handoffWeekday - weekdayOf(startDay), 7) : startDay;
  const index = mod(Math.round((handoffDay - firstHandoff) / period), members.length);
  return {
    rotation: rotation.name,
    person: members[index]!,
    source: 'rotation',
    from: new Date(instantOfWall(handoffDay * dayMs + handoffMs, timezone)).toISOString(),
    to: new Date(instantOfWall((handoffDay + period) * dayMs + handoffMs, timezone)).toISOString(),
    index,
  };
}

/** Who is on call at `at`: the last override listed that covers it, otherwise the rotation's shift. */
export function onCallAt(rotation: OnCallRotationRecord, at: Date): OnCallShift {
  const time = at.getTime();
  for (let i = rotation.overrides.length - 1; i >= 0; i--) {
    const override = rotation.overrides[i]!;
    if (Date.parse(override.from) <= time && time < Date.parse(override.to))
      return {
        rotation: rotation.name,
        person: override.person,
        source: 'override',
        from: override.from,
        to: override.to,
        ...(override.reason ? { reason: override.reason } : {}),
      };
  }
  return shiftAt(rotation, at);
}
