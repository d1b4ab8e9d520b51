'use client';
import { useCallback, useEffect, useRef, useState } from 'react';
import { RatingQueue, type Tone } from '../../lib/rating-queue';
import { RoleGate } from '../../lib/role-gate';
import { Status } from '../../lib/status';
import { ImageViewer } from './image-viewer';
import { RatingScale } from './rating-scale';

type Field = 'quality' | 'alignment';

export default function QueuePage() {
  return <RoleGate roles={['expert']} title="The rating queue">{() => <RatingScreen />}</RoleGate>;
}

function RatingScreen() {
  const [, setTick] = useState(0);
  const [message, setMessage] = useState<{ text: string; tone: Tone }>({ text: '', tone: 'info' });
  const [quality, setQuality] = useState<number | null>(null);
  const [alignment, setAlignment] = useState<number | null>(null);
  const [field, setField] = useState<Field>('quality');
  const queueRef = useRef<RatingQueue | null>(null);
  const qualityRef = useRef<HTMLDivElement>(null);
  const alignmentRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const queue = new RatingQueue(
      () => setTick((n) => n + 1),
      (text, tone) => setMessage({ text, tone }),
    );
    queueRef.current = queue;
    // Tests and the benchmark wait on this: every call pressed so far has finished.
    (window as unknown as { forgeQueueIdle: () => Promise<unknown> }).forgeQueueIdle = () => queue.idle();
    void queue.start();
    return () => queue.stop();
  }, []);

  const focusField = useCallback((f: Field) => {
    setField(f);
    (f === 'quality' ? qualityRef : alignmentRef).current?.focus();
  }, []);

  const resetRating = useCallback(() => {
    setQuality(null);
    setAlignment(null);
    focusField('quality');
  }, [focusField]);

  const queue = queueRef.current;
  const current = queue?.current ?? null;

  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      const target = e.target as HTMLElement;
      if (e.ctrlKey || e.metaKey || e.altKey || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName)) return;
      const q = queueRef.current;
      if (!q) return;
      const key = e.key;
      if (key === '1' || key === '2' || key === '3') {
        e.preventDefault();
        const value = Number(key);
        if (field === 'quality') {
          setQuality(value);
          focusField('alignment');
        } else setAlignment(value);
      } else if (key === 'ArrowLeft' || key === 'ArrowRight') {
        e.preventDefault();
        focusField(field === 'quality' ? 'alignment' : 'quality');
      } else if (key === 'ArrowUp' || key === 'ArrowDown') {
        e.preventDefault();
        const step = key === 'ArrowUp' ? 1 : -1;
        const clamp = (v: number | null) => Math.min(3, Math.max(1, (v ?? 2) + (v === null ? 0 : step)));
        if (field === 'quality') setQuality(clamp(quality));
        else setAlignment(clamp(alignment));
      } else if (key === 'Enter') {
        e.preventDefault();
        if (!q.current) return;
        if (quality === null || alignment === null) {
          setMessage({ text: `Set ${quality === null ? 'quality' : 'alignment'} first (keys 1–3).`, tone: 'error' });
          return;
        }
        q.submit(quality, alignment);
        resetRating();
      } else if (key === 's' || key === 'S') {
        e.preventDefault();
        q.skip();
        resetRating();
      } else if (key === 'z' || key === 'Z') {
        e.preventDefault();
        q.undo();
        resetRating();
      }
    }
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [field, quality, alignment, focusField, resetRating]);

  return (
    <div className="queue">
      <h1 className="visually-hidden">Rating queue</h1>
      <section className="viewer" aria-label="Image to rate">
        {current ? (
          <ImageViewer key={current.taskId} src={current.url} taskId={current.taskId} imageId={current.imageId} alt={`Fundus image to rate: ${current.prompt}`} />
        ) : (
          <div className="viewer-empty" data-testid="queue-empty">
            {queue?.loading !== false ? 'Loading your queue…' : queue.exhausted ? 'No task is waiting for you. Well done.' : 'Loading the next image…'}
          </div>
        )}
      </section>
      <aside className="side" aria-label="Prompt and rating">
        <h2>Prompt</h2>
        <p className="prompt" data-testid="prompt">{current?.prompt ?? '—'}</p>
        <p className="muted small">Model scores are hidden while you rate, so they cannot anchor your judgement.</p>
        <RatingScale ref={qualityRef} label="Quality" name="quality" value={quality} active={field === 'quality'} onFocus={() => setField('quality')} onPick={(v) => { setQuality(v); focusField('alignment'); }} descriptions={['poor', 'usable', 'good']} />
        <RatingScale ref={alignmentRef} label="Alignment with the prompt" name="alignment" value={alignment} active={field === 'alignment'} onFocus={() => setField('alignment')} onPick={setAlignment} descriptions={['mismatch', 'partial', 'matches']} />
        <p>
          <button className="primary" type="button" disabled={!current || quality === null || alignment === null} onClick={() => { if (quality && alignment) { queue?.submit(quality, alignment); resetRating(); } }}>
            Submit (Enter)
          </button>{' '}
          <button type="button" disabled={!current} onClick={() => { queue?.skip(); resetRating(); }}>Skip (S)</button>{' '}
          <button type="button" onClick={() => { queue?.undo(); resetRating(); }}>Undo (Z)</button>
        </p>
        <Status message={message.text} tone={message.tone} />
        <details className="keys">
          <summary>Keyboard</summary>
          <ul>
            <li><kbd>1</kbd>–<kbd>3</kbd>: first digit quality, second alignment</li>
            <li><kbd>Tab</kbd> / <kbd>←</kbd> <kbd>→</kbd>: switch scale; <kbd>↑</kbd> <kbd>↓</kbd>: change value</li>
            <li><kbd>Enter</kbd> submit, <kbd>S</kbd> skip, <kbd>Z</kbd> undo last rating</li>
            <li><kbd>+</kbd> / <kbd>-</kbd> zoom, <kbd>0</kbd> reset; wheel zooms, drag pans</li>
          </ul>
        </details>
        <p className="muted small" data-testid="ahead" data-count={queue?.ahead.length ?? 0}>
          {queue ? `${queue.ahead.length} next image(s) ready` : ''}
        </p>
      </aside>
    </div>
  );
}
