'use client';
import { forwardRef } from 'react';

interface Props {
  label: string;
  name: string;
  value: number | null;
  active: boolean;
  descriptions: [string, string, string];
  onFocus(): void;
  onPick(value: number): void;
}

/** A 1–3 scale as an ARIA radio group; the digits are handled by the page, so the group itself is one tab stop. */
export const RatingScale = forwardRef<HTMLDivElement, Props>(function RatingScale({ label, name, value, active, descriptions, onFocus, onPick }, ref) {
  const labelId = `${name}-label`;
  return (
    <div className={`scale${active ? ' active' : ''}`}>
      <div id={labelId} className="scale-label">
        {label} {active && <span className="muted">(typing here)</span>}
      </div>
      <div ref={ref} role="radiogroup" aria-labelledby={labelId} tabIndex={0} onFocus={onFocus} data-testid={`scale-${name}`} data-value={value ?? ''} className="scale-options">
        {[1, 2, 3].map((v) => (
          <button
            key={v}
            type="button"
            role="radio"
            aria-checked={value === v}
            aria-label={`${label} ${v}: ${descriptions[v - 1]}`}
            tabIndex={-1}
            className={value === v ? 'picked' : ''}
            onClick={() => onPick(v)}
          >
            {v} <span className="small">{descriptions[v - 1]}</span>
          </button>
        ))}
      </div>
    </div>
  );
});
