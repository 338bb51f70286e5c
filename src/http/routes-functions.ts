/**
 * /api/v1/functions and /api/v1/workers: what each function holds, its retry policy, pausing;
 * who is connected. Policy and pause changes are stored as settings and survive restarts.
 */
import type { FastifyInstance } from 'fastify';
import type { FunctionQueue } from '../engine/function-queue.js';
import { parseRetryPolicy, PolicyError } from '../engine/retry-policy.js';
import { ApiError, parsedOr400, refuseSchemaErrors, type HttpDeps } from './http-server.js';
import { toWire, wireText } from '../protocol/wire-text.js';
import { listOf, nameParams, ref, replies, type JsonSchema } from './schemas.js';

const fnParams = nameParams('The function\'s name.');
const oneFunction = (summary: string, operationId: string, errors: (400 | 404)[], more: JsonSchema = {}) => ({
  summary, tags: ['functions'], operationId, params: fnParams, ...more,
  response: replies({ 200: { description: 'The function as it is now.', ...ref('Function') } }, ...errors),
});

export function registerFunctionRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const { engine, store } = deps;

  function view(f: FunctionQueue) {
    return {
      name: wireText(f.name),
      queued: { high: f.queued[0], normal: f.queued[1], low: f.queued[2] },
      scheduled: f.scheduled,
      running: f.running,
      workers: f.workers.length,
      paused: f.paused,
      policy: f.policy,
      effectivePolicy: engine.policyOf(f),
    };
  }

  function fnOr404(name: string): FunctionQueue {
    const f = engine.functions.get(toWire(name));
    if (f === undefined) throw new ApiError('FUNCTION_NOT_FOUND', `no function ${JSON.stringify(name)}`);
    return f;
  }

  app.get('/api/v1/functions', {
    schema: {
      summary: 'Every function the server knows', tags: ['functions'], operationId: 'listFunctions',
      response: replies({ 200: listOf('functions', ref('Function'), 'By name.') }),
    },
  }, async () => ({
    functions: [...engine.functions.values()].sort((a, b) => (a.name < b.name ? -1 : 1)).map(view),
  }));

  app.get<{ Params: { name: string } }>('/api/v1/functions/:name', { schema: oneFunction('One function', 'getFunction', [404]) },
    async (req) => view(fnOr404(req.params.name)));

  app.put<{ Params: { name: string }; Body: unknown }>('/api/v1/functions/:name/policy', {
    // The policy parser (shared with the config file) speaks first; see refuseSchemaErrors.
    schema: oneFunction('Set its retry policy (stored)', 'setFunctionPolicy', [400], { body: ref('RetryPolicyInput') }),
    attachValidation: true,
  }, async (req) => {
    const policy = parsedOr400(PolicyError, () => parseRetryPolicy(req.body, 'policy'));
    refuseSchemaErrors(req);
    const name = toWire(req.params.name);
    await store.putSetting(`policy:${name}`, JSON.stringify(policy));
    engine.setPolicy(name, policy);
    return view(engine.fn(name));
  });

  app.delete<{ Params: { name: string } }>('/api/v1/functions/:name/policy', {
    schema: oneFunction('Remove its retry policy (the server default applies)', 'deleteFunctionPolicy', [404]),
  }, async (req) => {
    const f = fnOr404(req.params.name);
    await store.putSetting(`policy:${f.name}`, null);
    engine.setPolicy(f.name, null);
    return view(f);
  });

  for (const action of ['pause', 'resume'] as const) {
    const schema = action === 'pause'
      ? oneFunction('Stop handing out its jobs (they keep queueing; stored)', 'pauseFunction', [])
      : oneFunction('Hand out its jobs again', 'resumeFunction', []);
    app.post<{ Params: { name: string } }>(`/api/v1/functions/:name/${action}`, { schema }, async (req) => {
      const name = toWire(req.params.name);
      engine.fn(name); // pausing a function before its first job is allowed
      await store.putSetting(`paused:${name}`, action === 'pause' ? 'true' : null);
      if (action === 'pause') engine.pause(name);
      else engine.resume(name);
      return view(engine.fn(name));
    });
  }

  app.get('/api/v1/workers', {
    schema: {
      summary: 'Connected workers', tags: ['workers'], operationId: 'listWorkers',
      response: replies({ 200: listOf('workers', ref('Worker'), 'Each worker connection once.') }),
    },
  }, async () => {
    const workers = [];
    const seen = new Set<unknown>();
    for (const f of engine.functions.values()) {
      for (const s of f.workers) {
        if (seen.has(s)) continue;
        seen.add(s);
        workers.push({
          id: s.id,
          clientId: wireText(s.clientId),
          address: s.address,
          connectedAt: new Date(s.connectedAt).toISOString(),
          functions: s.abilities.map((a) => wireText(a.fn.name)),
          sleeping: s.sleeping,
          jobs: [...(s.held ?? [])].map((j) => ({
            handle: j.handle, function: wireText(j.fn.name), startedAt: new Date(j.startedAt).toISOString(),
          })),
        });
      }
    }
    return { workers };
  });
}
