import { useEffect, useState } from 'react';
import { api, ApiError } from '../api.js';
import { when } from '../format.js';
import type { Schedule } from '../types.js';

const rules = [
  ['keepLast', 'Keep the newest'],
  ['keepDaily', 'Daily backups to keep'],
  ['keepWeekly', 'Weekly backups to keep'],
  ['keepMonthly', 'Monthly backups to keep'],
  ['maxAgeDays', 'Expire scheduled backups after (days)'],
  ['manualMaxAgeDays', 'Expire manual backups after (days)'],
] as const;

/** The schedule and retention of a service, its next five runs in its timezone, and what the policy would expire. */
export function ScheduleEditor({ serviceId }: { serviceId: string }) {
  const [schedule, setSchedule] = useState<Schedule | null>(null);
  const [cron, setCron] = useState('0 3 * * *');
  const [timezone, setTimezone] = useState(Intl.DateTimeFormat().resolvedOptions().timeZone);
  const [retention, setRetention] = useState<Record<string, string>>({});
  const [verify, setVerify] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [preview, setPreview] = useState<{ expire: { backupId: string; reason: string }[] } | null>(null);

  useEffect(() => {
    api<Schedule>('GET', `/v1/services/${serviceId}/schedule`).then(
      (found) => {
        setSchedule(found);
        setCron(found.cron);
        setTimezone(found.timezone);
        setVerify(found.verify);
        setRetention(Object.fromEntries(Object.entries(found.retention).map(([key, value]) => [key, String(value)])));
      },
      () => setSchedule(null),
    );
  }, [serviceId]);

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

  return (
    <section aria-labelledby="schedule-title" className="panel">
      <h2 id="schedule-title">Schedule and retention</h2>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void save();
        }}
      >
        <div className="grid">
          <p>
            <label htmlFor="cron">Cron expression</label>
            <input id="cron" value={cron} onChange={(event) => setCron(event.target.value)} required />
          </p>
          <p>
            <label htmlFor="timezone">Timezone</label>
            <input id="timezone" value={timezone} onChange={(event) => setTimezone(event.target.value)} required />
          </p>
          {rules.map(([key, label]) => (
            <p key={key}>
              <label htmlFor={key}>{label}</label>
              <input id={key} type="number" min={0} inputMode="numeric" value={retention[key] ?? ''} onChange={(event) => setRetention({ ...retention, [key]: event.target.value })} />
            </p>
          ))}
        </div>
        <label className="inline">
          <input type="checkbox" checked={verify} onChange={(event) => setVerify(event.target.checked)} /> Run a restore drill after each scheduled backup
        </label>
        <div className="actions">
          <button type="submit">Save schedule</button>
        </div>
        {message && (
          <p role="status" className="status-message">
            {message}
          </p>
        )}
      </form>
      {schedule && (
        <>
          <h3>Next runs ({schedule.timezone})</h3>
          <ol className="upcoming">
            {schedule.upcoming.map((run) => (
              <li key={run}>{when(run, schedule.timezone)}</li>
            ))}
          </ol>
        </>
      )}
      {preview && (
        <>
          <h3>The policy would expire now</h3>
          {preview.expire.length === 0 ? (
            <p>Nothing.</p>
          ) : (
            <ul>
              {preview.expire.map((item) => (
                <li key={item.backupId}>
                  <code>{item.backupId}</code>: {item.reason}
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}
