import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The Prometheus metrics of one Lifeboat process (GET /metrics). One registry per process, so
 * that tests and several servers in one process do not share counters.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'lifeboat_process_' });
  return {
    registry,
    httpRequests: new Histogram({
      name: 'lifeboat_http_request_duration_seconds',
      help: 'API requests by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    backupsRequested: new Counter({ name: 'lifeboat_backups_requested_total', help: 'Backups recorded by the API', labelNames: ['trigger'] as const, registers: [registry] }),
    backupEvents: new Counter({
      name: 'lifeboat_backup_events_total',
      help: 'Orchestrator events applied (or ignored) by the API',
      labelNames: ['type', 'applied'] as const,
      registers: [registry],
    }),
    authenticationFailures: new Counter({
      name: 'lifeboat_authentication_failures_total',
      help: 'Requests refused for their token, by reason (missing, unknown, revoked, expired)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    rateLimitedRequests: new Counter({
      name: 'lifeboat_rate_limited_requests_total',
      help: 'Requests answered 429 because their client address failed authentication too often',
      registers: [registry],
    }),
    messagesRelayed: new Counter({ name: 'lifeboat_outbox_messages_relayed_total', help: 'Outbox messages published to the bus', labelNames: ['schema'] as const, registers: [registry] }),
    jobsRunning: new Gauge({ name: 'lifeboat_jobs_running', help: 'Backup jobs this orchestrator is running', registers: [registry] }),
    // No project label: /metrics answers without a token, and project ids are the tenants'.
    jobsWaiting: new Gauge({ name: 'lifeboat_jobs_waiting', help: 'Jobs waiting for a free slot on every orchestrator (as this one last counted them)', registers: [registry] }),
    longestProjectQueue: new Gauge({
      name: 'lifeboat_jobs_waiting_longest_project_queue',
      help: 'The most jobs one project has waiting for a slot: one project starved, or one flooding the queue',
      registers: [registry],
    }),
    jobsFinished: new Counter({
      name: 'lifeboat_jobs_finished_total',
      help: 'Backup jobs finished, by outcome and failure code',
      labelNames: ['status', 'code'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
