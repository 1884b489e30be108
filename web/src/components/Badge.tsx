import type { ReactNode } from 'react';

export type Tone = 'good' | 'bad' | 'warn' | 'info' | 'neutral';

/** A status label; the word carries the meaning, the colour only repeats it. */
export function Badge({ tone, children, title }: { tone: Tone; children: ReactNode; title?: string }) {
  return (
    <span className={`badge badge-${tone}`} title={title}>
      {children}
    </span>
  );
}

export function statusTone(status: string): Tone {
  if (['allowed', 'active', 'passed', 'succeeded', 'ok', 'resolved', 'approve'].includes(status))
    return 'good';
  if (
    ['denied', 'frozen', 'failed', 'firing', 'rolled_back', 'critical', 'reject', 'error', 'open'].includes(
      status,
    )
  )
    return 'bad';
  if (['pending', 'warning', 'require_approval', 'waived', 'investigating'].includes(status)) return 'warn';
  return 'neutral';
}

export function StatusBadge({ status }: { status: string }) {
  return <Badge tone={statusTone(status)}>{status.replace(/_/g, ' ')}</Badge>;
}
