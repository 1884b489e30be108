import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDataFile } from '../../src/cli/io.js';
import { tempDir } from '../helpers/temp.js';

// readDataFile loads the YAML parser only when it meets a file that is not JSON (fast-start.test.ts
// checks a command that never does so does not load it): YAML still reads, and still fails clearly.
describe('readDataFile', () => {
  const dir = tempDir('arbiter-io-');

  it('reads a YAML document, aliases included', () => {
    const file = join(dir, 'request.yaml');
    writeFileSync(file, 'action: deploy\nresource: &r {type: service, id: payments}\nagain: *r\n');
    expect(readDataFile(file)).toEqual({
      action: 'deploy',
      resource: { type: 'service', id: 'payments' },
      again: { type: 'service', id: 'payments' },
    });
  });

  it('names the file, line and column of a YAML error', () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, 'action: [\n');
    expect(() => readDataFile(file)).toThrow(`${file}:2:1: not valid JSON or YAML`);
  });
});
