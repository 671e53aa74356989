import cronstrue from 'cronstrue';
import { useEffect, useState } from 'react';
import { api, ApiError } from '../api.js';
import { when } from '../format.js';
import type { Schedule, ServiceStatus } from '../types.js';

const rules = [
  ['keepLast', 'Keep the newest'],
  ['keepDaily', 'Daily backups to keep'],
  ['keepWeekly', 'Weekly backups to keep'],
  ['keepMonthly', 'Monthly backups to keep'],
  ['maxAgeDays', 'Expire scheduled backups after (days)'],
  ['manualMaxAgeDays', 'Expire manual backups after (days)'],
] as const;

/** Every IANA timezone the browser knows, UTC among them (some browsers list only the regions). */
const timeZones = (() => {
  const zones = Intl.supportedValuesOf('timeZone');
  return zones.includes('UTC') ? zones : ['UTC', ...zones];
})();

interface Check {
  problem: { field: 'cron' | 'timezone'; message: string } | null;
  upcoming: string[];
}

/** The cron expression in words, or null when cronstrue cannot read it (the server's check says why). */
function inWords(cron: string): string | null {
  try {
    return cronstrue.toString(cron, { throwExceptionOnParseError: true, use24HourTimeFormat: true, verbose: true });
  } catch {
    return null;
  }
}

/**
 * The schedule and retention of a service. As the user types, the server checks the cron
 * expression and timezone by the rules PUT applies (five fields, the operator's minimum
 * interval) and answers the next runs, so the preview and the error are the ones saving would give.
 * The drill after each backup is offered only when the engine can drill here (drillsWhyNot null).
 */
export function ScheduleEditor({ projectId, serviceId, canEdit, drillsWhyNot = null }: { projectId: string; serviceId: string; canEdit: boolean; drillsWhyNot?: string | null }) {
  const [schedule, setSchedule] = useState<Schedule | null | undefined>(undefined);
  const [cron, setCron] = useState('');
  const [timezone, setTimezone] = useState('UTC');
  const [retention, setRetention] = useState<Record<string, string>>({});
  const [verify, setVerify] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [check, setCheck] = useState<Check | null>(null);
  const [preview, setPreview] = useState<{ expire: { backupId: string; reason: string }[] } | null>(null);

  const fill = (found: Schedule | null) => {
    setSchedule(found);
    setCron(found?.cron ?? '');
    setTimezone(found?.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone);
    setVerify(found?.verify ?? false);
    setRetention(Object.fromEntries(Object.entries(found?.retention ?? {}).map(([key, value]) => [key, String(value)])));
  };

  useEffect(() => {
    // The project's service status says whether there is a schedule: asking for one that does not exist would answer 404 in normal use.
    void (async () => {
      try {
        const { services } = await api<{ services: ServiceStatus[] }>('GET', `/v1/projects/${projectId}/service-status`);
        const scheduled = services.find((status) => status.service.id === serviceId)?.schedule;
        fill(scheduled ? await api<Schedule>('GET', `/v1/services/${serviceId}/schedule`) : null);
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) fill(null);
        else setMessage(error instanceof Error ? error.message : String(error));
      }
    })();
  }, [projectId, serviceId]);

  useEffect(() => {
    if (cron.trim() === '') {
      setCheck(null);
      return;
    }
    // A short pause after the last key, so each keystroke does not cost a request.
    const timer = setTimeout(() => {
      api<Check>('POST', `/v1/services/${serviceId}/schedule/check`, { cron, timezone }).then(setCheck, (error: unknown) =>
        setCheck({ problem: { field: 'cron', message: error instanceof Error ? error.message : String(error) }, upcoming: [] }),
      );
    }, 250);
    return () => clearTimeout(timer);
  }, [serviceId, cron, timezone]);

  const save = async () => {
    setMessage(null);
    try {
      const body = {
        cron,
        timezone,
        verify,
        retention: Object.fromEntries(Object.entries(retention).filter(([, value]) => value !== '').map(([key, value]) => [key, Number(value)])),
      };
      setSchedule(await api<Schedule>('PUT', `/v1/services/${serviceId}/schedule`, body));
      setPreview(await api('GET', `/v1/services/${serviceId}/retention/preview`));
      setMessage('Saved.');
    } catch (error) {
      setMessage(error instanceof ApiError ? error.message : String(error));
    }
  };

  const remove = async () => {
    setMessage(null);
    try {
      await api('DELETE', `/v1/services/${serviceId}/schedule`);
      fill(null);
      setPreview(null);
      setMessage('Schedule removed. Existing backups stay.');
    } catch (error) {
      setMessage(error instanceof ApiError ? error.message : String(error));
    }
  };

  if (schedule === undefined) return <p aria-busy="true">Loading the schedule…</p>;
  const words = cron.trim() === '' ? null : inWords(cron);
  const cronProblem = check?.problem?.field === 'cron' ? check.problem.message : null;
  const timezoneProblem = check?.problem?.field === 'timezone' ? check.problem.message : null;
  const upcoming = check && !check.problem ? check.upcoming : [];
  return (
    <section aria-labelledby="schedule-title" className="panel">
      <h2 id="schedule-title">Schedule and retention</h2>
      <p className="schedule-state">
        {schedule ? (
          <>
            Runs <strong>{inWords(schedule.cron) ?? schedule.cron}</strong> ({schedule.timezone}); next run {when(schedule.nextRunAt, schedule.timezone)}.
          </>
        ) : (
          <strong>No schedule.</strong>
        )}
      </p>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void save();
        }}
      >
        <div className="grid">
          <p>
            <label htmlFor="cron">Cron expression</label>
            <input
              id="cron"
              value={cron}
              placeholder="minute hour day month weekday, e.g. 0 3 * * *"
              onChange={(event) => setCron(event.target.value)}
              aria-invalid={cronProblem ? true : undefined}
              aria-describedby="cron-words"
              required
              disabled={!canEdit}
            />
            <span id="cron-words" className={cronProblem ? 'cron-words error' : 'cron-words muted'} role={cronProblem ? 'alert' : undefined}>
              {cronProblem ?? words ?? ''}
            </span>
          </p>
          <p>
            <label htmlFor="timezone">Timezone</label>
            <select id="timezone" value={timezone} onChange={(event) => setTimezone(event.target.value)} aria-invalid={timezoneProblem ? true : undefined} disabled={!canEdit}>
              {!timeZones.includes(timezone) && <option value={timezone}>{timezone}</option>}
              {timeZones.map((zone) => (
                <option key={zone} value={zone}>
                  {zone}
                </option>
              ))}
            </select>
            {timezoneProblem && (
              <span className="cron-words error" role="alert">
                {timezoneProblem}
              </span>
            )}
          </p>
          {rules.map(([key, label]) => (
            <p key={key}>
              <label htmlFor={key}>{label}</label>
              <input id={key} type="number" min={0} inputMode="numeric" value={retention[key] ?? ''} onChange={(event) => setRetention({ ...retention, [key]: event.target.value })} disabled={!canEdit} />
            </p>
          ))}
        </div>
        <label className="inline">
          {/* Without drills for the engine it can only be turned off (a schedule saved before). */}
          <input
            type="checkbox"
            checked={verify}
            onChange={(event) => setVerify(event.target.checked)}
            disabled={!canEdit || (drillsWhyNot !== null && !verify)}
            aria-describedby={drillsWhyNot ? 'drills-why' : undefined}
          />{' '}
          Run a restore drill after each scheduled backup
        </label>
        {upcoming.length > 0 && (
          <>
            <h3>Next runs ({timezone})</h3>
            <ol className="upcoming">
              {upcoming.map((run) => (
                <li key={run}>{when(run, timezone)}</li>
              ))}
            </ol>
          </>
        )}
        <div className="actions">
          {schedule && (
            <button type="button" className="danger" onClick={() => void remove()} disabled={!canEdit} title={canEdit ? undefined : 'Needs the owner role'}>
              Remove schedule
            </button>
          )}
          <button type="submit" disabled={!canEdit || check === null || check.problem !== null} title={canEdit ? undefined : 'Needs the owner role'}>
            Save schedule
          </button>
        </div>
        {message && (
          <p role="status" className="status-message">
            {message}
          </p>
        )}
      </form>
      {preview && (
        <>
          <h3>The policy would expire now</h3>
          {preview.expire.length === 0 ? (
            <p>Nothing.</p>
          ) : (
            <ul>
              {preview.expire.map((item) => (
                <li key={item.backupId}>
                  <a href={`#/backups/${item.backupId}`}>
                    <code>{item.backupId}</code>
                  </a>
                  : {item.reason}
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}
