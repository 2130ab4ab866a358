// Files in the in-memory /tmp and /home/user: create, append, seek/tell, rename, listdir,
// delete, os.walk, tempfile, shutil.copytree, stat times (tests/python/fs_checks.py).
import { test } from 'node:test';

import { runChecks } from './helpers.mjs';

const CHECKS = ['create_write_read', 'append', 'seek_tell', 'rename_listdir_delete', 'walk_and_copytree',
  'tempfiles', 'stat_times'];

for (const base of ['/tmp', '/home/user']) {
  test(`files in ${base}`, { timeout: 120_000 }, async (t) => {
    await runChecks(t, 'fs_checks.py', [base], { expect: CHECKS });
  });
}
