import { useEffect, useState } from 'react';
import { api } from '../api.js';
import { bytes } from '../format.js';
import { Dialog } from './Dialog.js';

interface Contents {
  serverVersion: string;
  toolVersion: string;
  tables: { schema: string; name: string; rows: number; bytes: number }[];
  extensions: { name: string; version: string }[];
}

/** What a backup holds, from its manifest: no download needed. */
export function ContentsDialog({ backupId, onClose }: { backupId: string; onClose: () => void }) {
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
            PostgreSQL {contents.serverVersion}, dumped with pg_dump {contents.toolVersion}. Extensions: {contents.extensions.map((extension) => extension.name).join(', ') || 'none'}.
          </p>
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
