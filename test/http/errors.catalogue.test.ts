/**
 * Keeps the HTTP error codes honest (as fastify does for its own): every code src/http sends is
 * declared in HTTP_ERRORS or the error catalogue, with a status the API contract allows, and the
 * README's table of HTTP errors lists every code an API client can meet.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERRORS } from '../../src/errors/catalogue.js';
import { HTTP_ERRORS } from '../../src/http/http-server.js';
import { REPO_ROOT } from '../support/servers.js';

const HTTP_SRC = join(REPO_ROOT, 'src', 'http');
/** API.md's statuses, and 500 for the unexpected. */
const STATUSES = [400, 401, 403, 404, 409, 413, 429, 500, 503];
/** Catalogue codes that POST /api/v1/jobs passes on from Engine.submit. */
const SUBMIT_CODES = ['FUNCTION_EMPTY', 'FUNCTION_TOO_LARGE', 'UNIQUE_TOO_LARGE', 'PAYLOAD_TOO_LARGE', 'QUEUE_FULL'];

function codesUsedInSource(): Map<string, string[]> {
  const used = new Map<string, string[]>();
  for (const file of readdirSync(HTTP_SRC).filter((f) => f.endsWith('.ts'))) {
    const text = readFileSync(join(HTTP_SRC, file), 'utf8');
    const patterns = [/new ApiError\(\s*'([A-Za-z_]+)'/g, /sendError\(\s*\w+\s*,\s*'([A-Za-z_]+)'/g, /\bcode:\s*'([A-Za-z_]+)'/g];
    for (const re of patterns) {
      for (const m of text.matchAll(re)) used.set(m[1]!, [...(used.get(m[1]!) ?? []), file]);
    }
  }
  return used;
}

describe('HTTP error codes', () => {
  it('every code src/http sends is declared in HTTP_ERRORS or the catalogue', () => {
    const used = codesUsedInSource();
    assert.ok(used.size >= 8, `found only ${[...used.keys()].join(', ')}: has the way errors are sent changed?`);
    for (const [code, files] of used) {
      assert.ok(code in HTTP_ERRORS || code in ERRORS, `${code} (used in ${files.join(', ')}) is declared nowhere`);
    }
    for (const code of SUBMIT_CODES) assert.ok(code in ERRORS, code);
  });

  it('declares each code once, with a status the API contract allows and a description', () => {
    for (const code of Object.keys(HTTP_ERRORS)) assert.ok(!(code in ERRORS), `${code} is declared twice`);
    for (const [code, spec] of [...Object.entries(HTTP_ERRORS), ...Object.entries(ERRORS)]) {
      assert.ok(STATUSES.includes(spec.http), `${code}: status ${spec.http}`);
      assert.ok(spec.description.length > 10, `${code} has a description`);
      assert.match(code, /^[A-Z][A-Z_]+$/);
    }
  });

  it('the README lists every code an API client can meet, with its status', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const start = readme.indexOf('## HTTP API and command line');
    assert.ok(start >= 0, 'README has the HTTP section');
    const end = readme.indexOf('\n## ', start + 1);
    const section = readme.slice(start, end < 0 ? undefined : end);
    const codes: [string, number][] = [
      ...Object.entries(HTTP_ERRORS).map(([c, s]): [string, number] => [c, s.http]),
      ...SUBMIT_CODES.map((c): [string, number] => [c, ERRORS[c as keyof typeof ERRORS].http]),
      ['STORE_FAILED', ERRORS.STORE_FAILED.http],
    ];
    for (const [code, status] of codes) {
      assert.match(section, new RegExp(`\\|\\s*\`${code}\`\\s*\\|\\s*${status}\\s*\\|`), `README row for ${code} (${status})`);
    }
  });
});
