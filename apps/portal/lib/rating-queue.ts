'use client';
import { api, ApiError } from './api';
import { loadSession } from './session';

export interface QueueItem {
  taskId: string;
  imageId: string;
  prompt: string;
  modality: string | null;
  /** Object URL of the decoded image blob: showing it needs no network. */
  url: string;
}

interface TaskDetail {
  taskId: string;
  imageId: string;
  prompt: string;
  modality: string | null;
}

export type Tone = 'info' | 'ok' | 'error';

/** How many claimed tasks wait, image loaded, behind the one on screen. */
const AHEAD = 1;

/**
 * The expert's queue on the client: the task on screen plus the next one already claimed and its
 * image fetched and decoded, so Enter shows the next image without waiting for the network.
 * Calls that change state on the server run one after another (a chain), in the order pressed.
 */
export class RatingQueue {
  current: QueueItem | null = null;
  ahead: QueueItem[] = [];
  /** The server has no more tasks for this expert. */
  exhausted = false;
  loading = true;
  private shownAt = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private filling = false;
  private stopped = false;

  constructor(
    private readonly changed: () => void,
    private readonly status: (message: string, tone: Tone) => void,
  ) {}

  /** Tasks already held (a reload) come first, then new claims. */
  async start(): Promise<void> {
    try {
      const held = await api<{ taskId: string }[]>('/tasks/mine');
      for (const t of held) {
        const item = await this.load(t.taskId);
        if (item) this.enqueue(item);
      }
    } catch (err) {
      this.status(`Could not read your queue: ${(err as Error).message}`, 'error');
    }
    await this.fill();
    this.loading = false;
    this.changed();
  }

  stop(): void {
    this.stopped = true;
    for (const item of [this.current, ...this.ahead]) if (item) URL.revokeObjectURL(item.url);
  }

  /** Milliseconds the current image has been on screen. */
  elapsed(): number {
    return Math.round(performance.now() - this.shownAt);
  }

  submit(quality: number, alignment: number): void {
    const item = this.current;
    if (!item) return;
    const msSpent = this.elapsed();
    this.advance();
    this.serial(async () => {
      try {
        await api(`/tasks/${item.taskId}/ratings`, { method: 'POST', json: { quality, alignment, msSpent } });
        this.status(`Saved: quality ${quality}, alignment ${alignment} for “${shorten(item.prompt)}”.`, 'ok');
        setTimeout(() => URL.revokeObjectURL(item.url), 60_000);
      } catch (err) {
        // Not saved: the image comes back on screen so nothing is silently lost.
        if (this.current) this.ahead.unshift(this.current);
        this.show(item);
        this.status(`Not saved (${(err as Error).message}); the image is back.`, 'error');
      }
    });
    this.serial(() => this.fill());
  }

  skip(): void {
    const item = this.current;
    if (!item) return;
    this.advance();
    // Claim the replacement before giving this one back, so the claim cannot hand it straight back.
    this.serial(() => this.fill());
    this.serial(async () => {
      try {
        await api(`/queue/tasks/${item.taskId}/release`, { method: 'POST', json: {} });
        this.status(`Skipped “${shorten(item.prompt)}”; it went back to the queue.`, 'info');
      } catch (err) {
        this.status(`Skip failed: ${(err as Error).message}`, 'error');
      }
      URL.revokeObjectURL(item.url);
    });
  }

  undo(): void {
    this.serial(async () => {
      try {
        const r = await api<{ taskId: string; imageId: string }>('/ratings/mine/last/retract', { method: 'POST', json: {} });
        const item = await this.load(r.taskId);
        if (!item) return;
        if (this.current) this.ahead.unshift(this.current);
        this.show(item);
        this.status(`Last rating undone; “${shorten(item.prompt)}” is back for rating.`, 'info');
      } catch (err) {
        this.status(err instanceof ApiError && err.status === 404 ? 'Nothing to undo.' : `Undo failed: ${(err as Error).message}`, err instanceof ApiError && err.status === 404 ? 'info' : 'error');
      }
    });
  }

  /** Resolves when every call pressed so far has finished. */
  idle(): Promise<unknown> {
    return this.chain;
  }

  private serial(work: () => Promise<unknown>): void {
    this.chain = this.chain.then(work, work);
  }

  private advance(): void {
    this.show(this.ahead.shift() ?? null);
  }

  private show(item: QueueItem | null): void {
    this.current = item;
    this.shownAt = performance.now();
    this.changed();
  }

  private enqueue(item: QueueItem): void {
    if (!this.current) this.show(item);
    else {
      this.ahead.push(item);
      this.changed();
    }
  }

  private async fill(): Promise<void> {
    if (this.filling) return;
    this.filling = true;
    try {
      while (!this.stopped && (!this.current || this.ahead.length < AHEAD)) {
        const claimed = await this.claim();
        if (!claimed) break;
        this.enqueue(claimed);
      }
    } finally {
      this.filling = false;
    }
  }

  private async claim(): Promise<QueueItem | null> {
    try {
      const task = await api<{ taskId: string }>('/tasks/claim', { method: 'POST', json: {} });
      this.exhausted = false;
      return await this.load(task.taskId);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) {
        this.exhausted = true;
        this.changed();
        return null;
      }
      this.status(`Could not claim a task: ${(err as Error).message}`, 'error');
      return null;
    }
  }

  /** The task's prompt and its image, fetched with the bearer token and decoded before it is needed. */
  private async load(taskId: string): Promise<QueueItem | null> {
    const detail = await api<TaskDetail>(`/queue/tasks/${taskId}`);
    const session = loadSession();
    const res = await fetch(`/api/images/${encodeURIComponent(detail.imageId)}/file`, { headers: session ? { authorization: `Bearer ${session.token}` } : {} });
    if (!res.ok) {
      this.status(`Image of task ${taskId} could not be loaded (${res.status}).`, 'error');
      return null;
    }
    const url = URL.createObjectURL(await res.blob());
    const img = new Image();
    img.src = url;
    await img.decode().catch(() => undefined);
    return { taskId: detail.taskId, imageId: detail.imageId, prompt: detail.prompt, modality: detail.modality, url };
  }
}

function shorten(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}
