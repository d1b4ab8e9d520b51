'use client';
import { useEffect } from 'react';
import { homeFor } from '../lib/role-gate';
import { loadSession } from '../lib/session';

/** The root sends each user to the page their roles open. */
export default function Home() {
  useEffect(() => {
    const session = loadSession();
    window.location.replace(session ? homeFor(session.roles) : '/login');
  }, []);
  return <p>Loading…</p>;
}
