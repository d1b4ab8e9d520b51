'use client';
import { RoleGate } from '../../lib/role-gate';
import { ChainVerification } from './chain-verification';
import { SignRecord } from './sign-record';
import { StateAsOf } from './state-as-of';
import { StreamHistory } from './stream-history';
import { Timeline } from './timeline';
import { useState } from 'react';

export default function AuditPage() {
  return <RoleGate roles={['auditor', 'admin']} title="The audit view">{() => <AuditView />}</RoleGate>;
}

function AuditView() {
  const [stream, setStream] = useState('');
  const [toSign, setToSign] = useState<{ stream: string; revision: number } | null>(null);
  return (
    <>
      <h1>Audit record</h1>
      <div className="grid2">
        <ChainVerification />
        <StateAsOf />
      </div>
      <Timeline onOpenStream={setStream} />
      <div className="grid2">
        <StreamHistory stream={stream} onStream={setStream} onSign={(s, revision) => setToSign({ stream: s, revision })} />
        <SignRecord target={toSign} />
      </div>
    </>
  );
}
