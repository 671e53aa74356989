import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('configuration', () => {
  it('trusts no proxy unless told, and then all, a hop count or the proxies named', () => {
    expect(loadConfig('serve', {}).trustProxy).toBe(false);
    expect(loadConfig('serve', { LIFEBOAT_TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig('serve', { LIFEBOAT_TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig('serve', { LIFEBOAT_TRUST_PROXY: '10.0.0.0/8, 192.168.1.5' }).trustProxy).toEqual(['10.0.0.0/8', '192.168.1.5']);
    expect(problemsOf(() => loadConfig('serve', { LIFEBOAT_TRUST_PROXY: 'the ingress' }))[0]).toMatch(/^LIFEBOAT_TRUST_PROXY: /);
  });

  it('takes a verification server by host and port, not by unix socket', () => {
    expect(loadConfig('serve', { LIFEBOAT_VERIFY_DATABASE_URL: 'postgres://drill@127.0.0.1:5432/postgres' }).verifyDatabaseUrl).toBe('postgres://drill@127.0.0.1:5432/postgres');
    expect(problemsOf(() => loadConfig('serve', { LIFEBOAT_VERIFY_DATABASE_URL: 'postgres://drill@%2Fvar%2Frun%2Fpostgresql/postgres' }))[0]).toMatch(/^LIFEBOAT_VERIFY_DATABASE_URL: the host /);
  });

  it("takes MariaDB's verification server as a mariadb:// or mysql:// URL, by host", () => {
    expect(loadConfig('serve', { LIFEBOAT_VERIFY_MARIADB_URL: 'mariadb://root@127.0.0.1:3306/mysql' }).verifyMariadbUrl).toBe('mariadb://root@127.0.0.1:3306/mysql');
    expect(loadConfig('serve', { LIFEBOAT_VERIFY_MARIADB_URL: 'mysql://root@db.internal' }).verifyMariadbUrl).toBe('mysql://root@db.internal');
    expect(problemsOf(() => loadConfig('serve', { LIFEBOAT_VERIFY_MARIADB_URL: 'postgres://root@127.0.0.1/x' }))[0]).toMatch(/^LIFEBOAT_VERIFY_MARIADB_URL: /);
  });

  it('bounds lock waits: 300 s unless set, and refuses nonsense', () => {
    expect(loadConfig('serve', {}).lockWaitTimeoutSeconds).toBe(300);
    expect(loadConfig('serve', { LIFEBOAT_LOCK_WAIT_TIMEOUT_SECONDS: '5' }).lockWaitTimeoutSeconds).toBe(5);
    expect(problemsOf(() => loadConfig('serve', { LIFEBOAT_LOCK_WAIT_TIMEOUT_SECONDS: '0' }))[0]).toMatch(/^LIFEBOAT_LOCK_WAIT_TIMEOUT_SECONDS: /);
  });

  it('runs `serve` on the embedded defaults with nothing set', () => {
    const config = loadConfig('serve', {});
    expect(config).toMatchObject({ port: 8080, host: '127.0.0.1', databaseUrl: undefined, busUrl: undefined, downloadUrlTtlSeconds: 900, killSwitch: false, runner: 'local' });
    expect(config.dataDir).toMatch(/\/\.lifeboat$/);
    expect(config.storageUrl).toBe(`file://${config.dataDir}/artifacts`);
  });

  it('leaves storage unset for a split api, so it fails closed', () => {
    const split = { LIFEBOAT_SECRET_KEY: 'k'.repeat(32), LIFEBOAT_ADMIN_TOKEN: 'a'.repeat(24), LIFEBOAT_DATABASE_URL: 'postgres://db/lifeboat' };
    expect(loadConfig('api', split).storageUrl).toBeUndefined();
  });

  it('reads every variable, treating empty as unset', () => {
    const config = loadConfig('serve', {
      LIFEBOAT_PORT: '9000',
      LIFEBOAT_DATABASE_URL: 'postgres://u@db/lifeboat',
      LIFEBOAT_STORAGE_URL: 'file:///var/lib/lifeboat',
      LIFEBOAT_KILL_SWITCH: '1',
      LIFEBOAT_DOWNLOAD_URL_TTL_SECONDS: '60',
      LIFEBOAT_PUBLIC_URL: 'https://backups.example.com/',
      LIFEBOAT_ADMIN_TOKEN: '',
      UNRELATED: 'x',
    });
    expect(config).toMatchObject({
      port: 9000,
      databaseUrl: 'postgres://u@db/lifeboat',
      storageUrl: 'file:///var/lib/lifeboat',
      killSwitch: true,
      downloadUrlTtlSeconds: 60,
      publicUrl: 'https://backups.example.com',
      adminToken: undefined,
    });
  });

  it('reports every problem at once, one line each, naming the variable', () => {
    const problems = problemsOf(() =>
      loadConfig('orchestrator', { LIFEBOAT_PORT: 'eighty', LIFEBOAT_DATABASE_URL: 'mysql://x', LIFEBOAT_KILL_SWITCH: 'yes', LIFEBOAT_ADMIN_TOKEN: 'short' }),
    );
    expect(problems.map((line) => line.split(':')[0])).toEqual([
      'LIFEBOAT_PORT',
      'LIFEBOAT_DATABASE_URL',
      'LIFEBOAT_ADMIN_TOKEN',
      'LIFEBOAT_KILL_SWITCH',
      'LIFEBOAT_SECRET_KEY',
      'LIFEBOAT_STORAGE_URL',
    ]);
    expect(problemsOf(() => loadConfig('api', {})).map((line) => line.split(':')[0])).toEqual(['LIFEBOAT_DATABASE_URL', 'LIFEBOAT_SECRET_KEY', 'LIFEBOAT_ADMIN_TOKEN']);
    expect(problems.join('\n')).toContain('must be a postgres:// URL');
    expect(new ConfigError(problems).message.split('\n')).toHaveLength(problems.length + 1);
  });

  it('refuses a runner this version does not have, instead of ignoring it', () => {
    expect(problemsOf(() => loadConfig('serve', { LIFEBOAT_RUNNER: 'kubernetes' }))).toEqual(['LIFEBOAT_RUNNER: the kubernetes runner is not available in this version; use local']);
  });

  it('explains a storage URL it cannot use', () => {
    expect(problemsOf(() => loadConfig('serve', { LIFEBOAT_STORAGE_URL: 's3://backups?colour=blue' }))).toEqual([
      'LIFEBOAT_STORAGE_URL: unknown storage URL parameter "colour"; known: endpoint, region, forcePathStyle, sse, sseKmsKeyId, partSizeMiB, queueSize',
    ]);
  });

  it('limits failed authentications per client address, 20 a minute unless configured', () => {
    expect(loadConfig('serve', {}).authFailuresPerMinute).toBe(20);
    expect(loadConfig('serve', { LIFEBOAT_AUTH_FAILURES_PER_MINUTE: '5' }).authFailuresPerMinute).toBe(5);
    expect(problemsOf(() => loadConfig('serve', { LIFEBOAT_AUTH_FAILURES_PER_MINUTE: '0' }))[0]).toMatch(/^LIFEBOAT_AUTH_FAILURES_PER_MINUTE: /);
    expect(problemsOf(() => loadConfig('serve', { LIFEBOAT_AUTH_FAILURES_PER_MINUTE: 'many' }))[0]).toMatch(/^LIFEBOAT_AUTH_FAILURES_PER_MINUTE: /);
  });

  it("gives one project at most half of an orchestrator's job slots unless told otherwise, and never more than all of them", () => {
    expect(loadConfig('serve', {}).maxConcurrentJobsPerProject).toBe(2);
    expect(loadConfig('serve', { LIFEBOAT_MAX_CONCURRENT_JOBS: '1' }).maxConcurrentJobsPerProject).toBe(1);
    expect(loadConfig('serve', { LIFEBOAT_MAX_CONCURRENT_JOBS: '5' }).maxConcurrentJobsPerProject).toBe(3);
    expect(loadConfig('serve', { LIFEBOAT_MAX_CONCURRENT_JOBS: '8', LIFEBOAT_MAX_CONCURRENT_JOBS_PER_PROJECT: '8' }).maxConcurrentJobsPerProject).toBe(8);
    expect(problemsOf(() => loadConfig('serve', { LIFEBOAT_MAX_CONCURRENT_JOBS: '2', LIFEBOAT_MAX_CONCURRENT_JOBS_PER_PROJECT: '3' }))).toEqual([
      'LIFEBOAT_MAX_CONCURRENT_JOBS_PER_PROJECT: 3 is more than LIFEBOAT_MAX_CONCURRENT_JOBS (2); a project can run at most as many jobs as one orchestrator has slots: lower it, or raise LIFEBOAT_MAX_CONCURRENT_JOBS',
    ]);
    expect(problemsOf(() => loadConfig('serve', { LIFEBOAT_MAX_CONCURRENT_JOBS_PER_PROJECT: '0' })).map((line) => line.split(':')[0])).toEqual(['LIFEBOAT_MAX_CONCURRENT_JOBS_PER_PROJECT']);
  });

  it('takes production engines by URL', () => {
    const config = loadConfig('serve', { LIFEBOAT_BUS_URL: 'nats://nats-1:4222', LIFEBOAT_STORAGE_URL: 's3://backups/lifeboat?region=eu-west-1' });
    expect(config).toMatchObject({ busUrl: 'nats://nats-1:4222', storageUrl: 's3://backups/lifeboat?region=eu-west-1' });
  });

  it('bounds schedules to one run an hour and live streams to 5 per token and 20 per project unless the operator says otherwise', () => {
    expect(loadConfig('serve', {})).toMatchObject({ minScheduleIntervalSeconds: 3600, maxEventStreamsPerToken: 5, maxEventStreamsPerProject: 20 });
    expect(
      loadConfig('serve', { LIFEBOAT_MIN_SCHEDULE_INTERVAL_SECONDS: '60', LIFEBOAT_MAX_EVENT_STREAMS_PER_TOKEN: '2', LIFEBOAT_MAX_EVENT_STREAMS_PER_PROJECT: '3' }),
    ).toMatchObject({ minScheduleIntervalSeconds: 60, maxEventStreamsPerToken: 2, maxEventStreamsPerProject: 3 });
    expect(
      problemsOf(() => loadConfig('serve', { LIFEBOAT_MIN_SCHEDULE_INTERVAL_SECONDS: '1', LIFEBOAT_MAX_EVENT_STREAMS_PER_TOKEN: '0', LIFEBOAT_MAX_EVENT_STREAMS_PER_PROJECT: 'many' })).map(
        (line) => line.split(':')[0],
      ),
    ).toEqual(['LIFEBOAT_MIN_SCHEDULE_INTERVAL_SECONDS', 'LIFEBOAT_MAX_EVENT_STREAMS_PER_TOKEN', 'LIFEBOAT_MAX_EVENT_STREAMS_PER_PROJECT']);
  });

  it('reads LIFEBOAT_SERVICE_NETWORKS, naming each entry that is neither a CIDR nor a DNS suffix', () => {
    expect(loadConfig('serve', {}).serviceNetworks).toBeUndefined();
    expect(loadConfig('serve', { LIFEBOAT_SERVICE_NETWORKS: '10.0.0.0/8,.db.internal' }).serviceNetworks).toBe('10.0.0.0/8,.db.internal');
    expect(problemsOf(() => loadConfig('serve', { LIFEBOAT_SERVICE_NETWORKS: '10.0.0.0/8,db.internal,300.1.1.1/8' }))).toEqual([
      'LIFEBOAT_SERVICE_NETWORKS: "db.internal" is neither a CIDR (10.0.0.0/8, fd00::/8, 10.1.2.3) nor a DNS suffix starting with a dot (.db.internal)',
      'LIFEBOAT_SERVICE_NETWORKS: "300.1.1.1/8" is neither a CIDR (10.0.0.0/8, fd00::/8, 10.1.2.3) nor a DNS suffix starting with a dot (.db.internal)',
    ]);
  });

  it('lets the operator register services under api and owners under serve, unless LIFEBOAT_SERVICE_REGISTRATION says otherwise', () => {
    const split = { LIFEBOAT_SECRET_KEY: 'k'.repeat(32), LIFEBOAT_ADMIN_TOKEN: 'a'.repeat(24), LIFEBOAT_DATABASE_URL: 'postgres://db/lifeboat' };
    expect(loadConfig('api', split).serviceRegistration).toBe('admin');
    expect(loadConfig('serve', {}).serviceRegistration).toBe('owner');
    expect(loadConfig('api', { ...split, LIFEBOAT_SERVICE_REGISTRATION: 'owner' }).serviceRegistration).toBe('owner');
    expect(loadConfig('serve', { LIFEBOAT_SERVICE_REGISTRATION: 'admin' }).serviceRegistration).toBe('admin');
    expect(problemsOf(() => loadConfig('serve', { LIFEBOAT_SERVICE_REGISTRATION: 'anyone' }))).toEqual([
      'LIFEBOAT_SERVICE_REGISTRATION: must be admin (the operator registers services) or owner (project owners may)',
    ]);
  });
});
