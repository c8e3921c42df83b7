// One error base with stable codes: each layer's errors carry a catalogue code, and the catalogue alone says what
// a code means to the command line (exit code), the OAuth endpoints (status, error) and the FHIR API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../config/load.ts';
import { CodecError } from '../../drivers/codecs/codec-error.ts';
import { MeterError } from '../../drivers/serial/meter-error.ts';
import { DigaClientError } from '../../diga-client/errors.ts';
import { BackupError } from '../../gateway/backup/format.ts';
import { AssignmentError } from '../../gateway/store/assignments.ts';
import { ERROR_CATALOGUE, type ErrorMeaning } from '../../lib/error-catalogue.ts';
import { exitCodeOf, fhirCodeOfStatus, GatewayError, oauthCode } from '../../lib/errors.ts';
import { OAuthError } from '../../server/oauth/errors.ts';
import { AccessTokenError } from '../../server/oauth/token-verifier.ts';
import { OperatorApiError } from '../../server/operator-api/auth.ts';
import { UsageError } from '../../bin/commands/common.ts';

test('the catalogue: stable ERR_ codes; every server-side answer has a status and its error name', () => {
  for (const [code, meaning] of Object.entries(ERROR_CATALOGUE) as Array<[string, ErrorMeaning]>) {
    assert.match(code, /^ERR_[A-Z0-9_]+$/);
    assert.ok([1, 2, 3].includes(meaning.exit), code);
    if (meaning.oauth !== undefined || meaning.fhir !== undefined)
      assert.ok(meaning.http, `${code} has a status`);
  }
});

test('errors of every layer are GatewayErrors with their catalogue meaning', () => {
  const cases: Array<[GatewayError, string, number]> = [
    [new ConfigError('x'), 'ERR_CONFIG', 2],
    [new UsageError('x'), 'ERR_USAGE', 2],
    [new CodecError('ERR_CRC_MISMATCH', 'x'), 'ERR_CRC_MISMATCH', 2],
    [new MeterError('ERR_TIMEOUT', 'x'), 'ERR_TIMEOUT', 1],
    [new BackupError('ERR_WRONG_KEY', 'x'), 'ERR_WRONG_KEY', 2],
    [new AssignmentError('ERR_DEVICE_UNKNOWN', 'x'), 'ERR_DEVICE_UNKNOWN', 2],
    [new DigaClientError('grant_revoked', 'x'), 'ERR_DIGA_GRANT_REVOKED', 3],
    [new DigaClientError('settings', 'x'), 'ERR_DIGA_SETTINGS', 2],
    [new OAuthError('invalid_grant', 'x'), 'ERR_OAUTH_INVALID_GRANT', 2],
    [new AccessTokenError('token_expired', 'x'), 'ERR_TOKEN_EXPIRED', 2],
    [new OperatorApiError(403, 'insufficient_scope', 'x'), 'ERR_OPERATOR_INSUFFICIENT_SCOPE', 2],
  ];
  for (const [err, code, exit] of cases) {
    assert.ok(err instanceof GatewayError && err instanceof Error);
    assert.equal(err.code, code);
    assert.equal(exitCodeOf(err), exit, code);
    assert.equal(err.name, err.constructor.name, 'the subclass names itself');
  }
  assert.equal(exitCodeOf(new Error('unexpected')), 1);
  assert.equal(exitCodeOf('not even an error'), 1);
});

test('OAuth and FHIR statuses come from the catalogue', () => {
  assert.equal(new OAuthError('invalid_client', 'x').status, 401);
  assert.equal(new OAuthError('server_error', 'x').status, 500);
  assert.equal(new OAuthError('temporarily_unavailable', 'x').status, 503);
  assert.equal(new OAuthError('invalid_scope', 'x').status, 400);
  assert.equal(new OAuthError('access_denied', 'x', 403).status, 403, 'an explicit status still wins');
  assert.throws(() => oauthCode('made_up'), /no catalogue entry/);
  const token = new AccessTokenError('grant_inactive', 'x');
  assert.deepEqual(
    [token.meaning.http, token.meaning.oauth, token.reason],
    [401, 'invalid_token', 'grant_inactive'],
  );
  assert.equal(fhirCodeOfStatus(404), 'ERR_FHIR_NOT_FOUND');
  assert.equal(fhirCodeOfStatus(415), 'ERR_FHIR_UNSUPPORTED_MEDIA_TYPE');
  assert.equal(fhirCodeOfStatus(418), 'ERR_FHIR_BAD_REQUEST');
  assert.equal(fhirCodeOfStatus(502), 'ERR_FHIR_SERVER_ERROR');
});
