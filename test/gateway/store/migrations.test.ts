// Schema migrations on a store that already holds data: nothing lost, indexes kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { migrations } from '../../../gateway/store/migrations/index.ts';
import { migrate, openStore } from '../../../gateway/store/store.ts';
import { getResource, putResource, RESOURCE_COLUMNS } from '../../../gateway/store/resources.ts';

const indexSql = (db: Database.Database) =>
  db
    .prepare(
      `SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'resources' ORDER BY name`,
    )
    .all() as { name: string; sql: string | null }[];

test('migration 6 turns resources into a rowid table with every row and index as before', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hddt-migrate-'));
  const file = path.join(dir, 'store.sqlite');
  try {
    const db = new Database(file);
    migrate(
      db,
      migrations.filter((m) => m.version < 6),
    );
    assert.match(
      (db.prepare(`SELECT sql FROM sqlite_schema WHERE name = 'resources'`).get() as { sql: string }).sql,
      /WITHOUT ROWID/,
    );
    const insert = db.prepare(`INSERT INTO resources (type, id, version, last_updated_ms, device_key, code,
      effective_start_ms, effective_end_ms, value, unit, ref, status, json) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`);
    for (let i = 0; i < 300; i++) {
      const type = i % 3 === 0 ? 'Device' : 'Observation';
      insert.run(
        type,
        `id-${(i * 7919) % 1000}`,
        1 + (i % 4),
        1_700_000_000_000 + i,
        `ble:dev-${i % 5}`,
        i % 2 ? '99504-3' : null,
        i,
        i + 60_000,
        i % 3 ? i / 10 : null,
        'mg/dL',
        `DeviceMetric/m${i % 5}`,
        'final',
        JSON.stringify({ resourceType: type, id: `id-${i}`, note: 'x'.repeat(i) }),
      );
    }
    const rowsBefore = db.prepare('SELECT * FROM resources ORDER BY type, id').all();
    const indexesBefore = indexSql(db).filter((x) => x.sql !== null);
    db.close();

    const store = openStore({ path: file });
    assert.equal(store.db.pragma('user_version', { simple: true }), migrations.at(-1)!.version);
    const tableSql = (
      store.db.prepare(`SELECT sql FROM sqlite_schema WHERE name = 'resources'`).get() as { sql: string }
    ).sql;
    assert.doesNotMatch(tableSql, /WITHOUT ROWID/);
    // the row's columns as they were (later migrations add columns of their own)
    assert.deepEqual(
      store.db.prepare(`SELECT ${RESOURCE_COLUMNS} FROM resources ORDER BY type, id`).all(),
      rowsBefore,
    );
    for (const index of indexesBefore)
      assert.ok(
        indexSql(store.db).some((x) => x.name === index.name && x.sql === index.sql),
        `index ${index.name} is back as it was`,
      );
    // the primary key still refuses a second (type, id) and the upsert still finds the row
    const first = rowsBefore[0] as { type: string; id: string; version: number };
    assert.throws(
      () =>
        store.db
          .prepare(
            `INSERT INTO resources (type, id, version, last_updated_ms, device_key, json) VALUES (?,?,1,1,'k','{}')`,
          )
          .run(first.type, first.id),
      /UNIQUE constraint failed/,
    );
    const written = putResource(
      store,
      {
        index: { type: first.type as 'Device', id: first.id, deviceKey: 'ble:dev-0' },
        render: (meta) => ({ resourceType: first.type, id: first.id, meta }),
      },
      1_800_000_000_000,
    );
    assert.equal(written?.version, first.version + 1);
    assert.equal(getResource(store, first.type, first.id)?.version, first.version + 1);
    store.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
