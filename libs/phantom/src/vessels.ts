import { Rng } from './prng';
import { PhantomLabels } from './types';

/** One straight piece of a vessel, in normalised FOV coordinates; w is its full width in FOV radii. */
export interface VesselSegment {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  w: number;
  kind: 'artery' | 'vein' | 'new';
}

const STEP = 0.03;
const MIN_WIDTH = 0.0055;

/**
 * Grows arteries and veins from the disc: two temporal arcades arching round the macula, two nasal trunks,
 * branching as they go (children thinner). Veins are wider than their companion arteries.
 */
export function growVessels(rng: Rng, labels: PhantomLabels): VesselSegment[] {
  const out: VesselSegment[] = [];
  const { disc, fovea } = labels;
  const side = disc.x > fovea.x ? 1 : -1; // +1: disc on the right (right eye)
  const narrowing = labels.findings.includes('arteriolar_narrowing') ? 0.6 : 1;
  const arcadeRadius = Math.hypot(disc.x - fovea.x, disc.y - fovea.y) * 0.85;
  const trunks: { angle: number; temporal: boolean; up: boolean }[] = [
    { angle: Math.atan2(-0.9, -side * 0.6), temporal: true, up: true },
    { angle: Math.atan2(0.9, -side * 0.6), temporal: true, up: false },
    { angle: Math.atan2(-0.7, side * 0.8), temporal: false, up: true },
    { angle: Math.atan2(0.7, side * 0.8), temporal: false, up: false },
  ];
  for (const t of trunks) {
    for (const kind of ['vein', 'artery'] as const) {
      const w0 = (kind === 'vein' ? 0.028 : 0.02 * narrowing) * (t.temporal ? 1 : 0.8) * rng.range(0.9, 1.1);
      const a0 = t.angle + (kind === 'vein' ? 0.12 : -0.12) * (t.up ? 1 : -1);
      grow(rng, out, { x: disc.x + Math.cos(a0) * disc.r * 0.25, y: disc.y + Math.sin(a0) * disc.r * 0.25 }, a0, w0, kind, 0, {
        fovea,
        arcadeRadius: t.temporal ? arcadeRadius * (kind === 'vein' ? 1.05 : 0.95) : 0,
        clockwise: (t.up ? 1 : -1) * side,
      });
    }
  }
  return out;
}

interface Steering {
  fovea: { x: number; y: number };
  /** > 0: keep this distance from the fovea (an arcade); 0: wander outwards. */
  arcadeRadius: number;
  clockwise: number;
}

function grow(rng: Rng, out: VesselSegment[], p: { x: number; y: number }, heading: number, w: number, kind: 'artery' | 'vein', depth: number, steer: Steering): void {
  let { x, y } = p;
  let a = heading;
  for (let step = 0; step < 70 && w >= MIN_WIDTH; step++) {
    if (steer.arcadeRadius > 0 && step > 2) {
      // Turn towards the tangent of the circle round the fovea, correcting drift off that circle.
      const dx = x - steer.fovea.x;
      const dy = y - steer.fovea.y;
      const d = Math.hypot(dx, dy);
      const tangent = Math.atan2(dy, dx) + (steer.clockwise > 0 ? -Math.PI / 2 : Math.PI / 2);
      const target = tangent + (steer.clockwise > 0 ? 1 : -1) * -2.0 * (d - steer.arcadeRadius);
      a += 0.35 * wrap(target - a);
    } else {
      // Away from the fovea: the macula is free of large vessels.
      const dx = x - steer.fovea.x;
      const dy = y - steer.fovea.y;
      const d = Math.hypot(dx, dy);
      if (d < 0.3) a += 0.25 * wrap(Math.atan2(dy, dx) - a);
    }
    a += rng.normal() * 0.12;
    const len = STEP * (0.8 + 0.4 * rng.next()) * (depth === 0 ? 1 : 0.8);
    const nx = x + Math.cos(a) * len;
    const ny = y + Math.sin(a) * len;
    out.push({ x0: x, y0: y, x1: nx, y1: ny, w, kind });
    x = nx;
    y = ny;
    if (x * x + y * y > 1.05) return;
    if (depth < 3 && step > 1 && rng.chance(depth === 0 ? 0.18 : 0.1)) {
      const dir = rng.chance(0.5) ? 1 : -1;
      grow(rng, out, { x, y }, a + dir * rng.range(0.5, 1.0), w * rng.range(0.55, 0.7), kind, depth + 1, { ...steer, arcadeRadius: 0 });
      w *= 0.88;
    }
    w *= 0.985;
  }
}

/** Fine, tortuous new vessels on and around the disc (proliferative disease). */
export function growNewVessels(rng: Rng, c: { x: number; y: number }, radius: number): VesselSegment[] {
  const out: VesselSegment[] = [];
  for (let loop = 0; loop < 14; loop++) {
    const r0 = rng.range(0, radius);
    const t0 = rng.range(0, 2 * Math.PI);
    let x = c.x + r0 * Math.cos(t0);
    let y = c.y + r0 * Math.sin(t0);
    let a = rng.range(0, 2 * Math.PI);
    for (let s = 0; s < 8; s++) {
      a += rng.range(-1.2, 1.2);
      const nx = x + Math.cos(a) * 0.018;
      const ny = y + Math.sin(a) * 0.018;
      out.push({ x0: x, y0: y, x1: nx, y1: ny, w: 0.01, kind: 'new' });
      x = nx;
      y = ny;
    }
  }
  return out;
}

function wrap(a: number): number {
  while (a > Math.PI) a -= 2 * Math.PI;
  while (a < -Math.PI) a += 2 * Math.PI;
  return a;
}
