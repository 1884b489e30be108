import { useEffect, useState } from 'react';
import { absoluteTime, relativeTime } from '../time.js';

const subscribers = new Set<(now: Date) => void>();
setInterval(() => {
  const now = new Date();
  for (const subscriber of subscribers) subscriber(now);
}, 15_000);

/** The current time, refreshed every 15 s so relative times stay true. */
export function useNow(): Date {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    subscribers.add(setNow);
    return () => {
      subscribers.delete(setNow);
    };
  }, []);
  return now;
}

/** A time shown relative ("3 min ago"), with the absolute time in the viewer's zone on hover. */
export function Time({ value }: { value: string | number | null | undefined }) {
  const now = useNow();
  if (value === null || value === undefined) return <span className="muted">—</span>;
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) return <span>{String(value)}</span>;
  return (
    <time dateTime={time.toISOString()} title={absoluteTime(time)}>
      {relativeTime(time, now)}
    </time>
  );
}
