'use client';
/** One polite live region per page: screen readers hear what happened after each action. */
export function Status({ message, tone = 'info' }: { message: string; tone?: 'info' | 'error' | 'ok' }) {
  return (
    <p role="status" aria-live="polite" data-testid="status" className={tone === 'error' ? 'error' : tone === 'ok' ? 'ok' : 'muted'}>
      {message}
    </p>
  );
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
