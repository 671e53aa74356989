import { describe, expect, it } from 'vitest';
import type { JobExit } from '../runner/job-runner.js';
import { outcomeOfExit, verifyArtifact } from './job-outcome.js';

const artifact = { key: 'p/backup.dump', manifestKey: 'p/manifest.json', sizeBytes: 1234, sha256: 'b'.repeat(64) };
const exit = (over: Partial<JobExit>): JobExit => ({ exitCode: 0, signal: null, report: null, stderrTail: '', deadlineExceeded: false, ...over });

describe('job outcome', () => {
  it('takes the agent report when there is one', () => {
    expect(outcomeOfExit(exit({ report: JSON.stringify({ outcome: 'succeeded', artifact, serverVersion: '15.2', toolVersion: '15.2' }) }), 60)).toEqual({
      status: 'succeeded',
      artifact,
      serverVersion: '15.2',
      toolVersion: '15.2',
      contents: undefined,
    });
    expect(outcomeOfExit(exit({ exitCode: 1, report: JSON.stringify({ outcome: 'failed', failure: { code: 'auth_failed', message: 'no' } }) }), 60)).toEqual({
      status: 'failed',
      failure: { code: 'auth_failed', message: 'no' },
    });
    expect(outcomeOfExit(exit({ exitCode: 3, report: '{"outcome":"canceled"}' }), 60)).toEqual({ status: 'canceled' });
  });

  it('reports a timeout when the deadline killed the job, whatever it printed', () => {
    const outcome = outcomeOfExit(exit({ signal: 'SIGTERM', deadlineExceeded: true, report: '{"outcome":"canceled"}' }), 7200);
    expect(outcome).toEqual({ status: 'failed', failure: { code: 'timeout', message: 'the backup did not finish within its deadline of 2 h' } });
  });

  it('calls a job that died without a usable report a crash, with the last line it wrote', () => {
    const outcome = outcomeOfExit(exit({ exitCode: null, signal: 'SIGKILL', report: 'not json', stderrTail: 'one\nout of memory\n' }), 60);
    expect(outcome).toEqual({ status: 'failed', failure: { code: 'agent_crashed', message: 'the backup agent was killed by SIGKILL without reporting a result: out of memory' } });
    expect(outcomeOfExit(exit({ exitCode: 2, report: '{"outcome":"bogus"}' }), 60)).toMatchObject({ status: 'failed', failure: { code: 'agent_crashed' } });
  });
});

describe('artifact verification', () => {
  it('passes when storage holds the reported size', () => {
    expect(verifyArtifact(artifact, { key: artifact.key, sizeBytes: 1234, lastModified: new Date() })).toBeNull();
  });

  it('fails when the object is missing or has another size', () => {
    expect(verifyArtifact(artifact, null)?.code).toBe('artifact_verification_failed');
    expect(verifyArtifact(artifact, { key: artifact.key, sizeBytes: 1000, lastModified: new Date() })?.message).toContain('1000 bytes');
  });
});
