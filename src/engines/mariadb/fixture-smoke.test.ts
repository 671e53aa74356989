import { describe, expect, it } from 'vitest';
import { createMariadbFixture, rootConnection, tableChecksums } from '../../../test/support/mariadb-fixture.js';

describe('the MariaDB fixture', () => {
  it('builds a database with counts and checksums', async () => {
    const fixture = await createMariadbFixture({ label: 'smoke', rows: 2000 });
    try {
      expect(fixture.rows.orders).toBe(2000);
      expect(fixture.rows.audit).toBe(7);
      const connection = await rootConnection();
      const sums = await tableChecksums(connection, fixture.name);
      await connection.end();
      expect(Object.keys(sums).sort()).toEqual(Object.keys(fixture.rows).sort());
    } finally {
      await fixture.drop();
    }
  });
});
