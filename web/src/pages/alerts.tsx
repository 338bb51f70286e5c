/**
 * /alerts: what is firing (on top, unmissable), what is pending, every rule with where its alert
 * stands, and the history of changes with their times. Follows alert.* events live. With the
 * full token: add a rule (/alerts?new=1), edit one (/alerts?edit=<name>), delete with a confirm.
 * Rules from the config file are read-only through the API; their buttons are not shown.
 */
import { useCallback } from 'preact/hooks';
import { useApi } from '../api';
import {
  conditionText, deleteRule, fmtMetric, type Alert, type AlertState, type RuleView, type Transition,
} from '../alerts-api';
import { AlertRuleForm } from '../components/alert-rule-form';
import { ActionButton, ErrorBox, Loading, PageHeader, StateBadge } from '../components/bits';
import { Table, type Column } from '../components/table';
import { fmtAgo, fmtTime } from '../format';
import { useLiveReload } from '../live';
import { useNow } from '../now';
import { setQuery, useRoute } from '../router';
import './alerts.css';

const STATE_ORDER: Record<AlertState, number> = { firing: 0, pending: 1, resolved: 2, inactive: 3 };

interface Row {
  rule: RuleView;
  alert: Alert | undefined;
}

function SourceBadge(props: { rule: RuleView }) {
  if (props.rule.source !== 'config') return null;
  return <span class="badge" title="Defined in the config file: change it there.">config file</span>;
}

/** One firing or pending alert, as a banner. */
function AlertBanner(props: { alert: Alert; now: number }) {
  const { alert: a, now } = props;
  const due = a.state === 'pending' && a.since ? Date.parse(a.since) + a.forSeconds * 1000 : null;
  return (
    <div class={`alert-banner ${a.state}`} data-testid={`${a.state}-${a.rule}`} role={a.state === 'firing' ? 'alert' : undefined}>
      <StateBadge state={a.state} />
      <div class="alert-banner-body">
        <strong>{a.rule}</strong>
        <span>{conditionText(a)}</span>
        <span class="muted">
          now {fmtMetric(a.metric, a.value, a.function)}
          {a.since ? <> · {a.state} since <span title={a.since}>{fmtTime(a.since)}</span> ({fmtAgo(a.since, now)})</> : null}
          {due !== null ? <> · fires {fmtAgo(new Date(due).toISOString(), now)} if it still holds</> : null}
        </span>
      </div>
    </div>
  );
}

export function AlertsPage(props: { canAct: boolean }) {
  const route = useRoute();
  const alerts = useApi<{ alerts: Alert[] }>('/api/v1/alerts', 5000);
  const rules = useApi<{ rules: RuleView[] }>('/api/v1/alerts/rules');
  const now = useNow();
  const reloadAlerts = alerts.reload;
  const reloadRules = rules.reload;
  const reload = useCallback(() => {
    reloadAlerts();
    reloadRules();
  }, [reloadAlerts, reloadRules]);
  useLiveReload(['alert'], reloadAlerts, 250);

  const byName = new Map((alerts.data?.alerts ?? []).map((a) => [a.rule, a]));
  const rows: Row[] = (rules.data?.rules ?? []).map((rule) => ({ rule, alert: byName.get(rule.name) }));
  const active = (alerts.data?.alerts ?? []).filter((a) => a.state === 'firing' || a.state === 'pending')
    .sort((a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state] || (a.rule < b.rule ? -1 : 1));
  const history = (alerts.data?.alerts ?? [])
    .flatMap((a) => a.history.map((t) => ({ ...t, rule: a.rule, alert: a })))
    .sort((x, y) => (x.at < y.at ? 1 : x.at > y.at ? -1 : 0));
  const adding = props.canAct && route.query.get('new') !== null;
  const editName = props.canAct ? route.query.get('edit') : null;
  const editing = editName === null ? undefined : rows.find((r) => r.rule.name === editName && r.rule.source === 'api')?.rule;
  const firing = active.filter((a) => a.state === 'firing').length;

  const columns: Column<Row>[] = [
    {
      key: 'name', label: 'Rule', value: (r) => r.rule.name,
      render: (r) => (
        <span class="rule-name">
          {r.rule.name} <SourceBadge rule={r.rule} />
          <span class="phone-only muted">{conditionText(r.rule)}</span>
        </span>
      ),
    },
    { key: 'condition', label: 'Condition', render: (r) => conditionText(r.rule) },
    {
      key: 'state', label: 'State', value: (r) => STATE_ORDER[r.alert?.state ?? 'inactive'],
      render: (r) => <StateBadge state={r.alert?.state ?? 'inactive'} />,
    },
    {
      key: 'value', label: 'Now', value: (r) => r.alert?.value ?? null,
      render: (r) => <span class="mono">{fmtMetric(r.rule.metric, r.alert?.value ?? null, r.rule.function)}</span>,
    },
    {
      key: 'since', label: 'Since', value: (r) => r.alert?.since ?? null,
      render: (r) => (r.alert?.since ? <span title={r.alert.since}>{fmtAgo(r.alert.since, now)}</span> : <span class="muted">–</span>),
    },
    {
      key: 'notify', label: 'Notifies',
      render: (r) => r.rule.notify.map((n) => (n.type === 'log' ? 'log' : hostOf(n.url))).join(', ') || <span class="muted">nobody</span>,
    },
  ];
  if (props.canAct) {
    columns.push({
      key: 'actions', label: '',
      render: (r) => (r.rule.source !== 'api' ? null : (
        <span class="row-actions">
          <button onClick={() => setQuery({ edit: r.rule.name, new: undefined }, { push: true })} data-testid={`edit-${r.rule.name}`}>Edit</button>
          <ActionButton label="Delete" danger confirm={`Delete ${r.rule.name}?`} testId={`delete-${r.rule.name}`}
            run={() => deleteRule(r.rule.name)} onDone={reload} />
        </span>
      )),
    });
  }

  const loading = (alerts.loading && alerts.data === null) || (rules.loading && rules.data === null);
  return (
    <section class="alerts-page">
      <PageHeader title={<>Alerts {firing > 0 ? <span class="badge state-firing" data-testid="firing-count">{firing} firing</span> : null}</>}>
        {props.canAct && !adding ? <button class="primary" onClick={() => setQuery({ new: '1', edit: undefined }, { push: true })}>New rule</button> : null}
      </PageHeader>
      {adding || editing ? (
        <AlertRuleForm key={editing?.name ?? 'new'} existing={editing}
          onSaved={() => {
            setQuery({ new: undefined, edit: undefined });
            reload();
          }}
          onCancel={() => setQuery({ new: undefined, edit: undefined })} />
      ) : null}
      <ErrorBox error={alerts.error ?? rules.error} />
      {loading ? <Loading /> : (
        <>
          <div class="alert-banners" data-testid="active-alerts" aria-live="polite">
            {active.map((a) => <AlertBanner key={a.rule} alert={a} now={now} />)}
            {active.length === 0 && rows.length > 0 ? <div class="alert-banner calm">Nothing is firing or pending.</div> : null}
          </div>
          <h2>Rules</h2>
          <div class="rules-list">
            <Table rows={rows} columns={columns} rowKey={(r) => r.rule.name} defaultSort="state" sortParam="sort" testId="rules-table"
              empty={<>No alert rules. {props.canAct ? 'Add one with “New rule”, ' : 'Add one '}through <code>POST /api/v1/alerts/rules</code>, or under <code>alert-rules</code> in the config file.</>} />
          </div>
          <h2>History</h2>
          <History rows={history} now={now} />
          <p class="muted evaluated">Rules are checked every second. The history keeps each rule's latest 50 changes, since the server started.</p>
        </>
      )}
    </section>
  );
}

function History(props: { rows: (Transition & { rule: string; alert: Alert })[]; now: number }) {
  return (
    <Table rows={props.rows} rowKey={(t) => `${t.rule} ${t.at} ${t.to}`} testId="alert-history"
      columns={[
        { key: 'at', label: 'When', render: (t) => <span title={t.at}>{fmtTime(t.at)} <span class="muted">{fmtAgo(t.at, props.now)}</span></span> },
        { key: 'rule', label: 'Rule', render: (t) => t.rule },
        { key: 'change', label: 'Change', render: (t) => <span class="change"><StateBadge state={t.from} /> → <StateBadge state={t.to} /></span> },
        { key: 'value', label: 'Value', render: (t) => <span class="mono">{fmtMetric(t.alert.metric, t.value, t.alert.function)}</span> },
      ]}
      empty="No alert has changed state since the server started." />
  );
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

