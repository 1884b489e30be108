import { escapeHtml } from '../monitor/report/markup.js';
import type { ComplianceReport } from './report.js';

/** The evidence pack as a self-contained HTML page (no scripts, no external resources). */

const badge: Record<string, string> = { met: '✔ met', partial: '◐ partial', gap: '✘ gap' };

export function complianceReportHtml(report: ComplianceReport): string {
  const controls = report.controls
    .map((control) => {
      const examples = control.examples.flatMap((key) => report.evidence.examples[key] ?? []).slice(0, 6);
      return `<section class="control ${control.status}">
<h2><span class="badge">${badge[control.status]}</span> ${escapeHtml(control.id)} — ${escapeHtml(control.title)}</h2>
<p class="asks">${escapeHtml(control.asks)}</p>
${control.evidence.length > 0 ? `<h3>Evidence</h3><ul>${control.evidence.map((line) => `<li>${escapeHtml(line)}</li>`).join('')}</ul>` : ''}
${control.gaps.length > 0 ? `<h3>Gaps</h3><ul class="gaps">${control.gaps.map((line) => `<li>${escapeHtml(line)}</li>`).join('')}</ul>` : ''}
${examples.length > 0 ? `<h3>Ledger entries to look up</h3><table><thead><tr><th>seq</th><th>time (UTC)</th><th>type</th><th>what</th></tr></thead><tbody>${examples.map((ex) => `<tr><td>${ex.seq}</td><td>${escapeHtml(ex.time.replace('T', ' ').slice(0, 19))}</td><td>${escapeHtml(ex.type)}</td><td>${escapeHtml(ex.summary)}</td></tr>`).join('')}</tbody></table>` : ''}
</section>`;
    })
    .join('\n');
  const anchor = report.ledger.checkpoint
    ? `<p>Anchored by the signed checkpoint of <code>${escapeHtml(report.ledger.origin)}</code> at tree size ${report.ledger.checkpoint.size} (root <code>${escapeHtml(report.ledger.checkpoint.root)}</code>); the note is in <code>checkpoint.txt</code>. Verify it with <code>arbiter ledger verify</code> and the operator's verifier key.</p>`
    : '<p class="gaps">No signed checkpoint anchors this report.</p>';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(report.title)} — evidence ${escapeHtml(report.period.from.slice(0, 10))} to ${escapeHtml(report.period.to.slice(0, 10))}</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;color:#1d2430;max-width:960px;margin:2rem auto;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.1rem;margin:0 0 .3rem}h3{font-size:.95rem;margin:.8rem 0 .2rem}
.control{border:1px solid #c9d1dc;border-left-width:6px;border-radius:6px;padding:.8rem 1rem;margin:1rem 0}
.met{border-left-color:#1a7f37}.partial{border-left-color:#9a6700}.gap{border-left-color:#cf222e}
.badge{font-size:.85rem;font-weight:600;margin-right:.4rem}.asks{color:#4b5565;margin:.2rem 0}
.gaps li{color:#8a1c1c}table{border-collapse:collapse;width:100%;font-size:.85rem}td,th{border-bottom:1px solid #e3e8ef;padding:.25rem .4rem;text-align:left}
code{background:#f3f5f8;padding:0 .2rem;border-radius:3px}.summary span{margin-right:1.2rem}
@media print{.control{break-inside:avoid}}
</style></head><body>
<h1>${escapeHtml(report.title)}</h1>
<p>Evidence held by Arbiter from ${escapeHtml(report.period.from)} to ${escapeHtml(report.period.to)}, generated ${escapeHtml(report.generatedAt)} from a ledger that ${report.ledger.verified ? `verifies in full (${report.ledger.entries} entries)` : `<strong>does not verify: ${escapeHtml(report.ledger.problem ?? '')}</strong>`}.</p>
<p class="summary"><span>✔ ${report.summary.met} met</span><span>◐ ${report.summary.partial} partial</span><span>✘ ${report.summary.gap} gap</span></p>
${anchor}
${report.applicationDates.length > 0 ? `<h3>When the obligations apply</h3><table><thead><tr><th>from</th><th>obligation</th><th>source</th></tr></thead><tbody>${report.applicationDates.map((d) => `<tr><td>${escapeHtml(d.date)}</td><td>${escapeHtml(d.obligation)}</td><td>${escapeHtml(d.source)}</td></tr>`).join('')}</tbody></table>` : ''}
<p class="asks">"Met" means the ledger holds evidence for what Arbiter is responsible for. It is not a statement of legal conformity; the gaps name what must come from elsewhere.</p>
${controls}
</body></html>
`;
}
