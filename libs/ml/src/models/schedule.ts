/**
 * Cosine noise schedule (Nichol & Dhariwal 2021): ᾱ(t) = f(t)/f(0), f(t) = cos²(((t/T)+s)/(1+s)·π/2),
 * betas clipped at 0.999 so the last step stays invertible. Index i ∈ [0, T) is timestep i+1.
 */
export class CosineSchedule {
  readonly alphaBar: Float64Array;
  readonly betas: Float64Array;

  constructor(readonly timesteps = 1000, readonly offset = 0.008, maxBeta = 0.999) {
    if (!Number.isInteger(timesteps) || timesteps < 2) throw Object.assign(new Error(`CosineSchedule: timesteps must be an integer ≥ 2, got ${timesteps}`), { code: 'INVALID_INPUT' });
    const f = (t: number) => Math.cos(((t / timesteps + offset) / (1 + offset)) * (Math.PI / 2)) ** 2;
    this.betas = new Float64Array(timesteps);
    this.alphaBar = new Float64Array(timesteps);
    let prod = 1;
    for (let i = 0; i < timesteps; i++) {
      this.betas[i] = Math.min(1 - f(i + 1) / f(i), maxBeta);
      prod *= 1 - this.betas[i];
      this.alphaBar[i] = prod;
    }
  }

  /** ᾱ at index t; t = −1 is the clean image (ᾱ = 1). */
  at(t: number): number {
    return t < 0 ? 1 : this.alphaBar[t];
  }

  /** σ of the DDIM update t → tPrev with stochasticity η (0: deterministic, 1: DDPM-like). */
  ddimSigma(t: number, tPrev: number, eta: number): number {
    const [at, ap] = [this.at(t), this.at(tPrev)];
    return eta * Math.sqrt((1 - ap) / (1 - at)) * Math.sqrt(Math.max(0, 1 - at / ap));
  }

  /** DDIM's descending timestep indices for `steps` sampling steps. */
  samplingTimesteps(steps: number): number[] {
    if (!Number.isInteger(steps) || steps < 1 || steps > this.timesteps) throw Object.assign(new Error(`CosineSchedule: steps must be an integer in [1, ${this.timesteps}], got ${steps}`), { code: 'INVALID_INPUT' });
    const stride = this.timesteps / steps;
    const ts: number[] = [];
    for (let i = steps - 1; i >= 0; i--) ts.push(Math.min(this.timesteps - 1, Math.round(i * stride + stride - 1)));
    return ts;
  }
}
