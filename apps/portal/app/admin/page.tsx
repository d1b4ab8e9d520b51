'use client';
import { useEffect, useState, type FormEvent } from 'react';
import { api } from '../../lib/api';
import { RoleGate } from '../../lib/role-gate';
import type { Role } from '../../lib/session';
import { errorText, Status } from '../../lib/status';

const ROLES: Role[] = ['expert', 'operator', 'auditor', 'admin'];

interface UserRow {
  username: string;
  roles: Role[];
  disabled: boolean;
  registeredAt: string;
}

export default function AdminPage() {
  return <RoleGate roles={['admin']} title="Administration">{() => <Admin />}</RoleGate>;
}

function Admin() {
  const [users, setUsers] = useState<UserRow[]>([]);
  const [message, setMessage] = useState('');
  const load = () =>
    api<UserRow[]>('/users')
      .then(setUsers)
      .catch((err) => setMessage(errorText(err)));
  useEffect(() => {
    void load();
  }, []);

  return (
    <>
      <h1>Administration</h1>
      <JobQueuesLink onMessage={setMessage} />
      <section className="card" aria-labelledby="users-title">
        <h2 id="users-title">Users and roles</h2>
        <table>
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Roles</th>
              <th scope="col">Status</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <UserLine key={u.username} user={u} onChanged={load} onMessage={setMessage} />
            ))}
          </tbody>
        </table>
        <Status message={message} />
      </section>
      <CreateUser onCreated={load} />
    </>
  );
}

/**
 * bull-board is a page of its own served by the API, so a link cannot send the bearer token. The
 * authenticated POST first sets a short-lived HttpOnly cookie valid for the board's path only.
 */
function JobQueuesLink({ onMessage }: { onMessage(m: string): void }) {
  async function open() {
    try {
      await api('/admin/queues/session', { method: 'POST' });
      window.location.assign('/api/admin/queues');
    } catch (err) {
      onMessage(`Could not open the job queues: ${errorText(err)}`);
    }
  }
  return (
    <p>
      Job queues (bull-board, served by the API at /admin/queues):{' '}
      <button type="button" onClick={open}>Open job queues</button>
    </p>
  );
}

function RolePicker({ idPrefix, roles, onChange }: { idPrefix: string; roles: Role[]; onChange(r: Role[]): void }) {
  return (
    <fieldset style={{ border: 'none', padding: 0, margin: 0, display: 'flex', gap: '0.6rem' }}>
      <legend className="visually-hidden">Roles</legend>
      {ROLES.map((r) => (
        <span key={r}>
          <input
            id={`${idPrefix}-${r}`}
            type="checkbox"
            checked={roles.includes(r)}
            onChange={(e) => onChange(e.target.checked ? [...roles, r] : roles.filter((x) => x !== r))}
          />{' '}
          <label htmlFor={`${idPrefix}-${r}`} style={{ display: 'inline' }}>{r}</label>
        </span>
      ))}
    </fieldset>
  );
}

function UserLine({ user, onChanged, onMessage }: { user: UserRow; onChanged(): void; onMessage(m: string): void }) {
  const [roles, setRoles] = useState<Role[]>(user.roles);
  const [reason, setReason] = useState('');
  const changed = [...roles].sort().join() !== [...user.roles].sort().join();
  async function act(kind: 'roles' | 'disable') {
    if (reason.trim().length < 3) {
      onMessage(`Give a reason (3 characters or more) for the change to ${user.username}.`);
      return;
    }
    try {
      if (kind === 'roles') await api(`/users/${user.username}/roles`, { method: 'PUT', json: { roles, reason } });
      else await api(`/users/${user.username}/disable`, { method: 'POST', json: { reason } });
      onMessage(kind === 'roles' ? `${user.username} now has roles ${roles.join(', ')}.` : `${user.username} is disabled.`);
      setReason('');
      onChanged();
    } catch (err) {
      onMessage(errorText(err));
    }
  }
  return (
    <tr>
      <td>{user.username}</td>
      <td>
        <RolePicker idPrefix={`roles-${user.username}`} roles={roles} onChange={setRoles} />
      </td>
      <td>{user.disabled ? <span className="error">disabled</span> : 'active'}</td>
      <td>
        <label htmlFor={`reason-${user.username}`} className="visually-hidden">Reason for changing {user.username}</label>
        <input id={`reason-${user.username}`} placeholder="reason" value={reason} onChange={(e) => setReason(e.target.value)} style={{ width: '10rem' }} />{' '}
        <button type="button" disabled={!changed || roles.length === 0} onClick={() => act('roles')}>Save roles</button>{' '}
        <button type="button" disabled={user.disabled} onClick={() => act('disable')}>Disable</button>
      </td>
    </tr>
  );
}

function CreateUser({ onCreated }: { onCreated(): void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [roles, setRoles] = useState<Role[]>(['expert']);
  const [reason, setReason] = useState('');
  const [message, setMessage] = useState('');
  async function create(e: FormEvent) {
    e.preventDefault();
    try {
      await api('/users', { method: 'POST', json: { username, password, roles, reason } });
      setMessage(`Created ${username} (${roles.join(', ')}).`);
      setUsername('');
      setPassword('');
      onCreated();
    } catch (err) {
      setMessage(errorText(err));
    }
  }
  return (
    <section className="card" aria-labelledby="create-title">
      <h2 id="create-title">Create a user</h2>
      <form onSubmit={create}>
        <div className="row">
          <div>
            <label htmlFor="new-username">Username</label>
            <input id="new-username" required value={username} onChange={(e) => setUsername(e.target.value)} />
          </div>
          <div>
            <label htmlFor="new-password">Initial password (10+ characters)</label>
            <input id="new-password" type="password" autoComplete="new-password" required minLength={10} value={password} onChange={(e) => setPassword(e.target.value)} />
          </div>
          <div>
            <label htmlFor="new-reason">Reason</label>
            <input id="new-reason" required minLength={3} value={reason} onChange={(e) => setReason(e.target.value)} />
          </div>
        </div>
        <RolePicker idPrefix="new-role" roles={roles} onChange={setRoles} />
        <p>
          <button type="submit" className="primary" disabled={roles.length === 0}>Create user</button>
        </p>
      </form>
      <Status message={message} />
    </section>
  );
}
