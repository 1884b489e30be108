import type { ReactNode } from 'react';

import { statusTone, type Tone } from './status-tone.js';

export { statusTone, type Tone };

/** A status label; the word carries the meaning, the colour only repeats it. */
export function Badge({ tone, children, title }: { tone: Tone; children: ReactNode; title?: string }) {
  return (
    <span className={`badge badge-${tone}`} title={title}>
      {children}
    </span>
  );
}

export function StatusBadge({ status, title }: { status: string; title?: string }) {
  return (
    <Badge tone={statusTone(status)} {...(title ? { title } : {})}>
      {status.replace(/_/g, ' ')}
    </Badge>
  );
}
