import type { Framework } from './frameworks.js';

/**
 * When a framework's obligations apply, with the source each date was taken from. The EU AI Act
 * dates are those of Regulation (EU) 2024/1689 Art. 113 as amended in 2026 by the "Digital
 * Omnibus on AI"; docs/compliance.md says how far the sources could be confirmed.
 */
export interface ApplicationDate {
  obligation: string;
  /** ISO date. */
  date: string;
  source: string;
}

/** The dates by framework (none are tracked for NIST AI RMF and ISO/IEC 42001, which are voluntary). */
export const applicationDates: Record<Framework, ApplicationDate[]> = {
  'eu-ai-act': [
    {
      obligation: 'Prohibited practices (Art. 5) and AI literacy (Art. 4)',
      date: '2025-02-02',
      source: 'Regulation (EU) 2024/1689 Art. 113(a)',
    },
    {
      obligation: 'General-purpose AI models; governance; penalties',
      date: '2025-08-02',
      source: 'Regulation (EU) 2024/1689 Art. 113(b)',
    },
    {
      obligation: 'General application, including Art. 50 transparency',
      date: '2026-08-02',
      source: 'Regulation (EU) 2024/1689 Art. 113',
    },
    {
      obligation: 'High-risk AI systems of Annex III (Chapter III Sections 1–3, including Art. 9–15)',
      date: '2027-12-02',
      source:
        'Digital Omnibus on AI (reported as Regulation (EU) 2026/1744), amending Art. 113; before it, 2026-08-02',
    },
    {
      obligation: 'High-risk AI systems of Annex I (products under Union harmonisation legislation)',
      date: '2028-08-02',
      source:
        'Digital Omnibus on AI (reported as Regulation (EU) 2026/1744), amending Art. 113; before it, 2027-08-02',
    },
  ],
  'nist-ai-rmf': [],
  'iso-42001': [],
};
