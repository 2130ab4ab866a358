// Imports and exercises stdlib modules (tests/python/stdlib_checks.py), and a sqlite3 database
// written to a host directory and read back.
import assert from 'node:assert/strict';
import { readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';

import { runChecks, runCli, show, tempDir } from './helpers.mjs';

// Named here too, so that a check that silently disappears fails.
const REQUIRED = ['json', 're', 'decimal', 'sqlite3', 'zlib', 'bz2', 'lzma', 'hashlib', 'datetime', 'zoneinfo',
  'asyncio', 'unittest', 'dataclasses', 'typing', 'csv', 'xml.etree', 'email'];

test('stdlib modules import and work', { timeout: 180_000 }, async (t) => {
  const results = await runChecks(t, 'stdlib_checks.py', [], { expect: REQUIRED });
  assert.ok(Object.keys(results).length >= 40, `only ${Object.keys(results).length} modules checked`);
});

test('sqlite3: a database file written, reopened and read back', { timeout: 120_000 }, async () => {
  const dir = await realpath(await tempDir('weft-sqlite-'));
  try {
    await writeFile(join(dir, 'db.py'), `
import os, sqlite3, sys
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data.db")
con = sqlite3.connect(path)
con.execute("create table notes (id integer primary key, body text not null)")
with con:
    con.executemany("insert into notes (body) values (?)", [("note %d ✓" % i,) for i in range(500)])
con.close()
con = sqlite3.connect(path)
rows = con.execute("select count(*), min(body), max(id) from notes").fetchone()
con.execute("create index notes_body on notes (body)")
con.commit()
print(rows, con.execute("pragma integrity_check").fetchone()[0])
con.close()
for where in ("/tmp/mem.db",):
    c = sqlite3.connect(where)
    c.execute("create table t (x)"); c.execute("insert into t values (42)"); c.commit(); c.close()
    print(sqlite3.connect(where).execute("select x from t").fetchone()[0])
`);
    const r = await runCli([join(dir, 'db.py')]);
    assert.equal(r.code, 0, show(r));
    assert.equal(r.stdout, "(500, 'note 0 ✓', 500) ok\n42\n", show(r));
    const header = (await readFile(join(dir, 'data.db'))).subarray(0, 16).toString('latin1');
    assert.equal(header, 'SQLite format 3\0', 'the database file on the host is not an SQLite file');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
