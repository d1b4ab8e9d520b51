import type { AuditSummary } from '@forge/domain';
import type { VerifyReport } from '@forge/event-store';

type VerifyReportLike = Pick<VerifyReport, 'ok' | 'events' | 'streams' | 'seals' | 'firstProblem'>;

function table(title: string, counts: Record<string, number>): string[] {
  const keys = Object.keys(counts).sort();
  if (keys.length === 0) return [];
  const width = Math.max(...keys.map((k) => k.length));
  return [title, ...keys.map((k) => `  ${k.padEnd(width)}  ${String(counts[k]).padStart(7)}`)];
}

/** The audit summary as a person reads it at a terminal. */
export function formatAuditSummary(summary: AuditSummary, verify: VerifyReportLike): string {
  const lines = [
    `events: ${summary.events} in ${summary.streams} streams`,
    summary.first && summary.last
      ? `from position ${summary.first.position} (${summary.first.recordedAt}) to ${summary.last.position} (${summary.last.recordedAt})`
      : 'the log is empty',
    verify.ok
      ? `hash chains: intact (${verify.events} events, ${verify.streams} streams, ${verify.seals.checked} seals checked)`
      : `hash chains: BROKEN at ${verify.firstProblem?.streamId} version ${verify.firstProblem?.streamVersion}: ${verify.firstProblem?.reason}`,
    '',
    ...table('events by type', summary.byType),
    ...table('streams by category', summary.streamsByCategory),
    ...table('events by actor kind', summary.byActorKind),
  ];
  return lines.join('\n');
}
