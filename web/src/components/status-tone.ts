export type Tone = 'good' | 'bad' | 'warn' | 'info' | 'neutral';

/** The colour a status word is shown in (the word itself carries the meaning). */
export function statusTone(status: string): Tone {
  if (['allowed', 'active', 'passed', 'succeeded', 'ok', 'resolved', 'approve'].includes(status))
    return 'good';
  if (
    [
      'denied',
      'frozen',
      'failed',
      'firing',
      'rolled_back',
      'critical',
      'reject',
      'error',
      'open',
      'revoked',
    ].includes(status)
  )
    return 'bad';
  if (['pending', 'warning', 'require_approval', 'waived', 'investigating'].includes(status)) return 'warn';
  if (status === 'started') return 'info';
  // withdrawn, expired: nothing ran, nothing went wrong.
  return 'neutral';
}
