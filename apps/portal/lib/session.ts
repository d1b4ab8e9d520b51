'use client';
// The signed-in user's bearer token lives in sessionStorage: it ends with the tab, and the API expires it anyway.
export type Role = 'expert' | 'operator' | 'auditor' | 'admin';

export interface Session {
  token: string;
  username: string;
  roles: Role[];
  expiresAt: string;
}

const KEY = 'forge.session';

export function loadSession(): Session | null {
  if (typeof window === 'undefined') return null;
  const raw = window.sessionStorage.getItem(KEY);
  if (!raw) return null;
  try {
    const s = JSON.parse(raw) as Session;
    if (new Date(s.expiresAt).getTime() <= Date.now()) {
      window.sessionStorage.removeItem(KEY);
      return null;
    }
    return s;
  } catch {
    window.sessionStorage.removeItem(KEY);
    return null;
  }
}

export function saveSession(s: Session): void {
  window.sessionStorage.setItem(KEY, JSON.stringify(s));
}

export function clearSession(): void {
  window.sessionStorage.removeItem(KEY);
}

export function hasRole(s: Session | null, ...roles: Role[]): boolean {
  return !!s && s.roles.some((r) => roles.includes(r));
}
