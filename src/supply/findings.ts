/** How bad a finding is; `critical` means code runs when the file is loaded. */
export const severities = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof severities)[number];

export function severityRank(severity: Severity): number {
  return severities.indexOf(severity);
}

/** Something a scan found in a file. */
export interface ScanFinding {
  /** The file, and for archives the member inside it: `model.pt!archive/data.pkl`. */
  file: string;
  /** Byte offset in the (member) file where it was found. */
  offset: number;
  severity: Severity;
  /** A stable rule id: `pickle-global`, `pickle-unparseable`, `npy-object-array`, `safetensors-bounds`, … */
  rule: string;
  message: string;
  /** For pickles: the imported `module.name`. */
  global?: string;
}
