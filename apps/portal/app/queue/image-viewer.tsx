'use client';
import { useEffect, useRef, useState, type PointerEvent, type WheelEvent } from 'react';

const MIN = 1;
const MAX = 8;

/** The image large, zoomed by wheel or +/-, panned by dragging; reset per image (the page keys it by task). */
export function ImageViewer({ src, alt, taskId, imageId }: { src: string; alt: string; taskId: string; imageId: string }) {
  const [zoom, setZoom] = useState(1);
  const [pan, setPan] = useState({ x: 0, y: 0 });
  const drag = useRef<{ x: number; y: number; px: number; py: number } | null>(null);

  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      if (['INPUT', 'TEXTAREA', 'SELECT'].includes((e.target as HTMLElement).tagName)) return;
      if (e.key === '+' || e.key === '=') setZoom((z) => Math.min(MAX, z * 1.25));
      else if (e.key === '-' || e.key === '_') setZoom((z) => Math.max(MIN, z / 1.25));
      else if (e.key === '0') {
        setZoom(1);
        setPan({ x: 0, y: 0 });
      }
    }
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  function onWheel(e: WheelEvent) {
    setZoom((z) => Math.min(MAX, Math.max(MIN, z * Math.exp(-e.deltaY * 0.0015))));
  }
  function onPointerDown(e: PointerEvent) {
    (e.target as HTMLElement).setPointerCapture?.(e.pointerId);
    drag.current = { x: e.clientX, y: e.clientY, px: pan.x, py: pan.y };
  }
  function onPointerMove(e: PointerEvent) {
    const d = drag.current;
    if (d) setPan({ x: d.px + (e.clientX - d.x), y: d.py + (e.clientY - d.y) });
  }

  return (
    <div className="viewport" onWheel={onWheel} onPointerDown={onPointerDown} onPointerMove={onPointerMove} onPointerUp={() => (drag.current = null)} onPointerCancel={() => (drag.current = null)}>
      {/* A blob URL, already decoded: next/image would only add a detour. */}
      <img
        src={src}
        alt={alt}
        draggable={false}
        data-testid="task-image"
        data-task-id={taskId}
        data-image-id={imageId}
        style={{ transform: `translate(${pan.x}px, ${pan.y}px) scale(${zoom})` }}
      />
      <span className="zoom-badge" aria-live="off">{Math.round(zoom * 100)}%</span>
    </div>
  );
}
