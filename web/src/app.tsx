/**
 * The dashboard shell: navigation, the token prompt, the live-connection indicator, and the page
 * for the current URL.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiFailure, api, getToken, onAuthChange, setToken, useAccess, type Access } from './api';
import { useLiveEvents, useLiveStatus } from './live';
import { match, useRoute } from './router';
import { OverviewPage } from './pages/overview';
import { FunctionsPage } from './pages/functions';
import { FunctionPage } from './pages/function';
import { JobsPage } from './pages/jobs';
import { JobPage } from './pages/job';
import { WorkersPage } from './pages/workers';
import { SchedulePage, SchedulesPage } from './pages/schedules';
import { AlertsPage } from './pages/alerts';

const NAV: [string, string][] = [
  ['/', 'Overview'],
  ['/functions', 'Functions'],
  ['/jobs', 'Jobs'],
  ['/workers', 'Workers'],
  ['/schedules', 'Schedules'],
  ['/alerts', 'Alerts'],
];

function Page(props: { path: string; access: Access }) {
  const { path, access } = props;
  const can = access === 'full';
  let m: Record<string, string> | null;
  if (path === '/') return <OverviewPage />;
  if (path === '/functions') return <FunctionsPage />;
  if ((m = match('/functions/:name', path))) return <FunctionPage name={m.name!} canAct={can} />;
  if (path === '/jobs') return <JobsPage canAct={can} />;
  if ((m = match('/jobs/:handle', path))) return <JobPage handle={m.handle!} canAct={can} />;
  if (path === '/workers') return <WorkersPage />;
  if (path === '/schedules') return <SchedulesPage canAct={can} />;
  if ((m = match('/schedules/:name', path))) return <SchedulePage name={m.name!} canAct={can} />;
  if (path === '/alerts') return <AlertsPage canAct={can} />;
  return (
    <section>
      <h1>Not found</h1>
      <p>There is no page at <code>{path}</code>. <a href="/">Back to the overview</a>.</p>
    </section>
  );
}

function TokenPrompt(props: { rejected: boolean }) {
  const [value, setValue] = useState('');
  return (
    <form
      class="token-prompt"
      onSubmit={(e) => {
        e.preventDefault();
        setToken(value.trim());
      }}
    >
      <h1>Gearman HQ</h1>
      <p>{props.rejected ? 'That token was not accepted.' : 'This server needs an access token (--http-token or --http-read-token).'}</p>
      <label>
        Token <input type="password" autoComplete="current-password" value={value} onInput={(e) => setValue((e.target as HTMLInputElement).value)} data-testid="token-input" />
      </label>
      <button type="submit">Sign in</button>
    </form>
  );
}

function LiveDot() {
  // The shell always follows alert changes, which also keeps the stream (and this dot) alive.
  useLiveEvents(['alert'], () => undefined);
  const s = useLiveStatus();
  const label = s === 'live' ? 'live' : s === 'connecting' ? 'connecting' : 'offline';
  return <span class={`live-dot ${s}`} title={`event stream: ${label}`} data-testid="live-status">{label}</span>;
}

export function App() {
  const route = useRoute();
  const access = useAccess();
  const [version, setVersion] = useState('');
  const [menuOpen, setMenuOpen] = useState(false);
  useEffect(() => {
    api<{ version: string }>('/healthz').then((h) => setVersion(h.version), () => undefined);
  }, []);
  useEffect(() => setMenuOpen(false), [route.path]);
  const [, force] = useState(0);
  useEffect(() => onAuthChange(() => force((n) => n + 1)), []);

  if (access === null) return <div class="loading">Loading…</div>;
  if (access === 'none') return <TokenPrompt rejected={getToken() !== ''} />;
  const section = NAV.slice(1).find(([href]) => route.path === href || route.path.startsWith(`${href}/`))?.[0] ?? (route.path === '/' ? '/' : '');
  return (
    <div class={`shell ${menuOpen ? 'menu-open' : ''}`}>
      <nav class="sidebar" aria-label="Main">
        <div class="brand">
          <a href="/">Gearman HQ</a>
          <button class="menu-toggle" aria-label="Menu" onClick={() => setMenuOpen(!menuOpen)}>☰</button>
        </div>
        <ul>
          {NAV.map(([href, label]) => (
            <li key={href}>
              <a href={href} class={section === href ? 'active' : ''} aria-current={section === href ? 'page' : undefined}>{label}</a>
            </li>
          ))}
        </ul>
        <div class="sidebar-foot">
          <LiveDot />
          <span class="muted">{access === 'read' ? 'read-only' : ''}</span>
          {getToken() ? <button class="link" onClick={() => setToken('')}>sign out</button> : null}
          <span class="muted version">{version ? `v${version}` : ''}</span>
        </div>
      </nav>
      <main>
        <Page path={route.path} access={access} />
      </main>
    </div>
  );
}

export { ApiFailure };
