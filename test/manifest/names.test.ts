import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isEnvVarName,
  isPercent,
  isValidPortName,
  isValidPortNum,
} from '../../src/manifest/names.ts';

const test = suite('manifest: name formats');

const SUBDOMAIN =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1035 =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

test('RFC 1123 subdomain (object names)', () => {
  for (const ok of ['my-app', 'my.app', '1abc', 'my--app', 'a'.repeat(253)]) {
    assert.equal(isDNS1123Subdomain(ok), [], ok);
  }
  for (const bad of ['My_App', '-web', 'web-', 'web.', '']) {
    assert.equal(isDNS1123Subdomain(bad), [SUBDOMAIN], bad);
  }
  assert.equal(isDNS1123Subdomain('a'.repeat(254)), ['must be no more than 253 characters']);
});

test('RFC 1123 label (Namespace and container names)', () => {
  for (const ok of ['my-app', '1abc', 'a'.repeat(63)]) assert.equal(isDNS1123Label(ok), [], ok);
  assert.equal(isDNS1123Label('my.app'), ['must not contain dots']);
  assert.equal(isDNS1123Label('My-App'), [LABEL]);
  assert.equal(isDNS1123Label('a'.repeat(64)), ['must be no more than 63 characters']);
  assert.equal(isDNS1123Label('-'.repeat(64)), ['must be no more than 63 characters', LABEL]);
});

test('RFC 1035 label (Service names)', () => {
  assert.equal(isDNS1035Label('web'), []);
  assert.equal(isDNS1035Label('1web'), [DNS1035]);
});

test('IANA_SVC_NAME (port names)', () => {
  for (const ok of ['http', 'redis-server', 'h2c', 'a'.repeat(15)]) {
    assert.equal(isValidPortName(ok), [], ok);
  }
  assert.equal(isValidPortName('HTTP'), [
    'must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
    'must contain at least one letter (a-z)',
  ]);
  assert.equal(isValidPortName('8080'), ['must contain at least one letter (a-z)']);
  assert.equal(isValidPortName('metrics-endpoint-1'), ['must be no more than 15 characters']);
  assert.equal(isValidPortName('my--port'), ['must not contain consecutive hyphens']);
  assert.equal(isValidPortName('-http'), ['must not begin or end with a hyphen']);
});

test('port numbers, env names, percents', () => {
  assert.equal(isValidPortNum(1), []);
  assert.equal(isValidPortNum(65535), []);
  for (const bad of [0, -1, 65536, 1.5]) {
    assert.equal(isValidPortNum(bad), ['must be between 1 and 65535, inclusive']);
  }
  assert.equal(isEnvVarName('MY_VAR.x-1'), []);
  assert.equal(isEnvVarName('A=B'), [
    "a valid environment variable name must consist only of printable ASCII characters other than '='",
  ]);
  assert.equal(isEnvVarName('TAB\there').length, 1);
  assert.equal(isPercent('25%'), []);
  assert.equal(isPercent('25'), [
    "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
  ]);
});

test.run();
