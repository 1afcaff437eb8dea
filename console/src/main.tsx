import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { describe } from './api.js';
import { Approvals } from './approvals.js';
import { Audit } from './audit.js';
import { Evidence } from './evidence.js';
import { ExecutionView } from './execution.js';
import { History } from './history.js';
import { isSandbox } from './mode.js';
import { signInWithOidc, startOidc } from './oidc.js';
import { Overview } from './overview.js';
import { matchRoute, route } from './router.js';
import { SandboxPanel } from './sandbox-panel.js';
import { actAs, identities, loadSandboxIdentities, readConfig, user } from './session.js';
import './styles.css';

const config = readConfig();

const NAV: readonly { path: string; label: string; sandboxOnly?: boolean }[] = [
  { path: '/', label: 'Apps' },
  { path: '/approvals', label: 'Approvals' },
  { path: '/history', label: 'History' },
  { path: '/audit', label: 'Audit' },
  { path: '/sandbox', label: 'Sandbox', sandboxOnly: true },
];

function App() {
  const [bootError, setBootError] = useState<string>();
  useEffect(() => {
    const boot = isSandbox() ? loadSandboxIdentities() : startOidc(config);
    boot.catch((e: unknown) => setBootError(describe(e)));
  }, []);
  const current = route.value;
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top no-print">
        <span class="brand">
          Switchyard{config.region ? ` · ${config.region}` : isSandbox() ? ' · sandbox' : ''}
        </span>
        <nav aria-label="Pages">
          <ul>
            {NAV.filter((n) => !n.sandboxOnly || isSandbox()).map((n) => {
              const active = n.path === '/' ? current === '/' : current.startsWith(n.path);
              return (
                <li key={n.path}>
                  <a href={`#${n.path}`} aria-current={active ? 'page' : undefined}>
                    {n.label}
                  </a>
                </li>
              );
            })}
          </ul>
        </nav>
        <Identity />
      </header>
      <main id="main" tabIndex={-1}>
        {bootError ? (
          <p class="error" role="alert">
            {bootError}
          </p>
        ) : null}
        {user.value ? <Routed /> : <SignInFirst />}
      </main>
    </>
  );
}

function Identity() {
  if (!isSandbox()) {
    return user.value ? (
      <span class="who">
        Signed in as <strong>{user.value.name}</strong> ({user.value.roles.join(', ') || 'no role'})
      </span>
    ) : (
      <button type="button" onClick={() => void signInWithOidc(config)}>
        Sign in
      </button>
    );
  }
  return (
    <label class="who">
      Acting as{' '}
      <select name="identity" value={user.value?.name ?? ''} onChange={(e) => actAs(e.currentTarget.value)}>
        <option value="">nobody (pick an identity)</option>
        {identities.value.map((i) => (
          <option key={i.name} value={i.name}>
            {i.displayName} ({i.roles.join('+')})
          </option>
        ))}
      </select>
    </label>
  );
}

function SignInFirst() {
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Sign in</h1>
      {isSandbox() ? (
        <>
          <p>Pick who you are with “Acting as” above. The sandbox's demo identities:</p>
          <ul>
            {identities.value.map((i) => (
              <li key={i.name}>
                <button type="button" onClick={() => actAs(i.name)}>
                  Act as {i.displayName}
                </button>{' '}
                {i.roles.join(' + ')}: {i.description}
              </li>
            ))}
          </ul>
          <p class="muted">
            Approvals need two people: alice requests, bob approves (open a second tab as bob).
          </p>
        </>
      ) : (
        <p>
          Sign in with your identity provider to use the console.{' '}
          <button type="button" onClick={() => void signInWithOidc(config)}>
            Sign in
          </button>
        </p>
      )}
    </section>
  );
}

function Routed() {
  const exec = matchRoute('executions');
  if (exec?.[0] && exec[1]) return <ExecutionView app={exec[0]} id={exec[1]} />;
  const evidence = matchRoute('evidence');
  if (evidence?.[0] && evidence[1]) return <Evidence app={evidence[0]} id={evidence[1]} />;
  if (matchRoute('approvals')) return <Approvals />;
  const history = matchRoute('history');
  if (history) return <History app={history[0]} />;
  const audit = matchRoute('audit');
  if (audit) return <Audit app={audit[0]} />;
  if (matchRoute('sandbox') && isSandbox()) return <SandboxPanel />;
  if (matchRoute('')) return <Overview />;
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Not found</h1>
      <p>
        No page {route.value}. <a href="#/">Go to the apps.</a>
      </p>
    </section>
  );
}

const root = document.getElementById('app');
if (root) render(<App />, root);
