/**
 * Bus subjects. Commands go from the control plane to the orchestrator and events come back, on
 * separate subject trees so that each side consumes only what it owns.
 */
const commandTypes = new Set(['backup.requested', 'backup.cancel_requested', 'backup.verify_requested', 'check.requested', 'restore.requested', 'artifact.delete_requested', 'kill_switch.changed']);

/** The subject a message of this type is published on. */
export function subjectOf(type: string): string {
  return commandTypes.has(type) ? `lifeboat.cmd.${type}` : `lifeboat.evt.${type}`;
}

export const subjects = {
  backupRequested: subjectOf('backup.requested'),
  /** What the orchestrator is asked to do besides running backups. */
  orchestratorCommands: ['backup.cancel_requested', 'artifact.delete_requested'].map(subjectOf),
  /** On a consumer of its own: never queued behind a deletion waiting for storage. */
  killSwitchChanged: subjectOf('kill_switch.changed'),
  restoreRequested: subjectOf('restore.requested'),
  verifyRequested: subjectOf('backup.verify_requested'),
  checkRequested: subjectOf('check.requested'),
  checkEvents: ['check.succeeded', 'check.failed'].map(subjectOf),
  backupEvents: ['backup.started', 'backup.progress', 'backup.succeeded', 'backup.failed', 'backup.canceled'].map(subjectOf),
  restoreEvents: ['restore.started', 'restore.succeeded', 'restore.failed'].map(subjectOf),
  artifactEvents: ['artifact.deleted', 'backup.verified'].map(subjectOf),
} as const;
