import { useEffect, useState } from 'react';
import { api } from '../api.js';
import { bytes } from '../format.js';
import { Dialog } from './Dialog.js';

interface Contents {
  serverVersion: string;
  toolVersion: string;
  tables: { schema: string; name: string; rows: number; bytes: number }[];
  // Absent or empty for engines without them (MariaDB has no extensions).
  extensions?: { name: string; version: string }[];
  // Absent from contents recorded before they were counted.
  views?: unknown[];
  materializedViews?: unknown[];
  functions?: unknown[];
  sequences?: unknown[];
  largeObjects?: number;
  roles?: { name: string; owns: number; granted: number }[];
  excluded?: { kind: string; schema: string | null; name: string; reason: 'unreadable' | 'configured'; detail?: string }[];
}

/** "3 views, 1 function, 2 sequences": the kinds the backup counted, none for old contents. */
function otherObjects(contents: Contents): string | null {
  const counted: [number | undefined, string][] = [
    [contents.views?.length, 'view'],
    [contents.materializedViews?.length, 'materialized view'],
    [contents.functions?.length, 'function'],
    [contents.sequences?.length, 'sequence'],
    // Each kind only when the engine's manifest records it (MariaDB's has no large objects).
    [contents.largeObjects, 'large object'],
  ];
  const shown = counted.filter((entry): entry is [number, string] => entry[0] !== undefined).map(([count, what]) => `${count} ${what}${count === 1 ? '' : 's'}`);
  return shown.length > 0 ? shown.join(', ') : null;
}

/** "Extensions: a, b." when the backup recorded any; engines without extensions say nothing of them. */
function extensionsLine(contents: Contents): string | null {
  const names = (contents.extensions ?? []).map((extension) => extension.name);
  return names.length > 0 ? `Extensions: ${names.join(', ')}.` : null;
}

/** What a backup holds, from its manifest: no download needed. The engine's label comes from the capabilities answer. */
export function ContentsDialog({ backupId, engineLabel, onClose }: { backupId: string; engineLabel: string; onClose: () => void }) {
  const [contents, setContents] = useState<Contents | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api<Contents>('GET', `/v1/backups/${backupId}/contents`).then(setContents, (failure: Error) => setError(failure.message));
  }, [backupId]);
  return (
    <Dialog title="What this backup holds" onClose={onClose}>
      {error && <p className="error">{error}</p>}
      {contents && (
        <>
          <p>
            {engineLabel} {contents.serverVersion}, dumped with {contents.toolVersion}.{extensionsLine(contents) && <> {extensionsLine(contents)}</>}
          </p>
          {otherObjects(contents) && <p className="contents-other">Also: {otherObjects(contents)}.</p>}
          {contents.roles && contents.roles.length > 0 && (
            <p className="contents-roles">Roles it refers to (a restore elsewhere needs them): {contents.roles.map((role) => role.name).join(', ')}.</p>
          )}
          {contents.excluded && contents.excluded.length > 0 && (
            <div className="contents-excluded">
              <p className="warning">Left out of this backup:</p>
              <ul>
                {contents.excluded.map((object) => (
                  <li key={`${object.kind}:${object.schema ?? ''}.${object.name}`}>
                    {object.kind.replace('_', ' ')} {object.schema ? `${object.schema}.` : ''}
                    {object.name}: {object.reason === 'unreadable' ? "the service's user may not read it" : "the service's settings exclude it"}
                    {object.detail ? ` (${object.detail})` : ''}
                  </li>
                ))}
              </ul>
            </div>
          )}
          <table>
            <thead>
              <tr>
                <th scope="col">Table</th>
                <th scope="col">Rows</th>
                <th scope="col">Size</th>
              </tr>
            </thead>
            <tbody>
              {contents.tables.map((table) => (
                <tr key={`${table.schema}.${table.name}`}>
                  <td>
                    {table.schema}.{table.name}
                  </td>
                  <td className="number">{table.rows.toLocaleString()}</td>
                  <td className="number">{bytes(table.bytes)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <div className="actions">
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
    </Dialog>
  );
}
