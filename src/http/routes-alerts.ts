/**
 * /api/v1/alerts/rules and /api/v1/alerts: alert rules, and where each rule's alert stands with
 * its recent history. Rules made here are stored as settings (`alert-rule:<name>`) and come back
 * after a restart; rules from the config file are read-only here.
 */
import type { FastifyInstance } from 'fastify';
import type { AlertEvaluator, AlertStatus } from '../alerts/alert-evaluator.js';
import { historyKey } from '../alerts/alert-history.js';
import { AlertRuleError, parseAlertRule, ruleKey, type AlertRule } from '../alerts/alert-rule.js';
import { requestAccess } from './auth.js';
import { ApiError, parsedOr400, refuseSchemaErrors, type HttpDeps } from './http-server.js';
import { listOf, nameParams, ref, replies } from './schemas.js';
import { isoTime } from './iso-time.js';

const ALERT_STATES = ['inactive', 'pending', 'firing', 'resolved'];

/**
 * A rule as JSON. Webhook targets carry secrets (a Slack URL is itself one, headers hold tokens):
 * `redact` (the read-only token) shows only the URL's origin and the header names.
 */
export function ruleView(a: AlertStatus, redact = false) {
  if (!redact) return { ...a.rule, source: a.source };
  const notify = a.rule.notify.map((t) => (t.type !== 'webhook' ? t : {
    ...t,
    url: `${new URL(t.url).origin}/…`,
    headers: Object.fromEntries(Object.keys(t.headers).map((k) => [k, '(hidden)'])),
  }));
  return { ...a.rule, notify, source: a.source };
}

export function alertView(a: AlertStatus) {
  return {
    rule: a.rule.name,
    metric: a.rule.metric,
    function: a.rule.function ?? null,
    op: a.rule.op,
    threshold: a.rule.threshold,
    forSeconds: a.rule.forSeconds,
    state: a.state,
    value: a.value,
    since: isoTime(a.since),
    lastEvaluatedAt: isoTime(a.lastEvaluatedAt),
    history: a.history.map((t) => ({ from: t.from, to: t.to, at: isoTime(t.at), value: t.value })),
  };
}

const ruleParams = nameParams('The rule\'s name.');
const oneRule = (status: 200 | 201, description: string) => ({ [status]: { description, ...ref('AlertRule') } });

export function registerAlertRoutes(app: FastifyInstance, deps: HttpDeps, alerts: AlertEvaluator): void {
  const { store } = deps;

  const parse = (body: unknown): AlertRule => parsedOr400(AlertRuleError, () => parseAlertRule(body));
  const existing = (name: string): AlertStatus => {
    const a = alerts.get(name);
    if (a === undefined) throw new ApiError('ALERT_RULE_NOT_FOUND', `no alert rule ${JSON.stringify(name)}`);
    return a;
  };
  const editable = (a: AlertStatus): void => {
    if (a.source === 'config') {
      throw new ApiError('CONFLICT', `alert rule ${a.rule.name} comes from the config file; change it there`);
    }
  };
  const save = async (rule: AlertRule): Promise<AlertStatus> => {
    await store.putSetting(ruleKey(rule.name), JSON.stringify(rule));
    // A new or replaced rule's alert starts again from inactive with no history, here and after a restart.
    await store.putSetting(historyKey(rule.name), null);
    alerts.setRule(rule, 'api');
    return alerts.get(rule.name)!;
  };

  app.get('/api/v1/alerts/rules', {
    schema: {
      summary: 'Every alert rule', tags: ['alerts'], operationId: 'listAlertRules',
      response: replies({ 200: listOf('rules', ref('AlertRule'), 'Config-file and API rules.') }),
    },
  }, async (req) => {
    const redact = requestAccess(deps.tokens, req.headers.authorization) !== 'full';
    return { rules: alerts.list().map((a) => ruleView(a, redact)) };
  });

  app.get<{ Params: { name: string } }>('/api/v1/alerts/rules/:name', {
    schema: {
      summary: 'One alert rule', tags: ['alerts'], operationId: 'getAlertRule', params: ruleParams,
      response: replies(oneRule(200, 'The rule.'), 404),
    },
  }, async (req) => ruleView(existing(req.params.name), requestAccess(deps.tokens, req.headers.authorization) !== 'full'));

  // The rule parser (shared with the config file) speaks first; see refuseSchemaErrors.
  app.post<{ Body: unknown }>('/api/v1/alerts/rules', {
    schema: {
      summary: 'Add an alert rule (stored)', tags: ['alerts'], operationId: 'createAlertRule', body: ref('AlertRuleInput'),
      response: replies(oneRule(201, 'The new rule.'), 400, 409),
    },
    attachValidation: true,
  }, async (req, reply) => {
    const rule = parse(req.body);
    refuseSchemaErrors(req);
    if (alerts.get(rule.name) !== undefined) {
      throw new ApiError('CONFLICT', `an alert rule named ${rule.name} exists (PUT /api/v1/alerts/rules/${rule.name} replaces it)`);
    }
    return reply.code(201).send(ruleView(await save(rule)));
  });

  app.put<{ Params: { name: string }; Body: unknown }>('/api/v1/alerts/rules/:name', {
    schema: {
      summary: 'Add or replace an alert rule (its alert starts again from inactive)', tags: ['alerts'],
      operationId: 'putAlertRule', params: ruleParams, body: ref('AlertRuleReplacement'),
      response: replies(oneRule(200, 'The rule.'), 400, 409),
    },
    attachValidation: true,
  }, async (req) => {
    const body = req.body;
    const name = req.params.name;
    if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
      const given = (body as Record<string, unknown>).name;
      if (given !== undefined && given !== name) throw new ApiError('BAD_REQUEST', `the body names ${JSON.stringify(given)} but the path ${JSON.stringify(name)}`);
    }
    const rule = parse(body !== null && typeof body === 'object' && !Array.isArray(body) ? { ...body, name } : body);
    refuseSchemaErrors(req);
    const current = alerts.get(name);
    if (current !== undefined) editable(current);
    return ruleView(await save(rule));
  });

  app.delete<{ Params: { name: string } }>('/api/v1/alerts/rules/:name', {
    schema: {
      summary: 'Remove an alert rule made through the API', tags: ['alerts'], operationId: 'deleteAlertRule', params: ruleParams,
      response: replies({ 204: { description: 'Removed.', type: 'null' } }, 404, 409),
    },
  }, async (req, reply) => {
    const a = existing(req.params.name);
    editable(a);
    await store.putSetting(ruleKey(a.rule.name), null);
    await store.putSetting(historyKey(a.rule.name), null);
    alerts.deleteRule(a.rule.name);
    return reply.code(204).send();
  });

  app.get<{ Querystring: { state?: string } }>('/api/v1/alerts', {
    schema: {
      summary: 'Where each rule\'s alert stands, with its history', tags: ['alerts'], operationId: 'listAlerts',
      querystring: { type: 'object', properties: { state: { type: 'string', enum: ALERT_STATES } } },
      response: replies({ 200: { description: 'Alerts and the evaluator\'s counters.', ...ref('AlertList') } }, 400),
    },
    attachValidation: true,
  }, async (req) => {
    const state = req.query.state;
    if (state !== undefined && !ALERT_STATES.includes(state)) {
      throw new ApiError('BAD_REQUEST', `state must be one of ${ALERT_STATES.join(', ')}, got ${JSON.stringify(state)}`);
    }
    refuseSchemaErrors(req);
    const list = alerts.list().filter((a) => state === undefined || a.state === state);
    return { alerts: list.map(alertView), evaluator: alerts.stats() };
  });
}
