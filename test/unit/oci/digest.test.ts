import test from 'ava';
import { InvalidDigestError, digestHex, isDigest, parseDigest, sha256Digest } from '../../../src/oci/digest.js';

const HEX = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'; // sha256 of ""
const VALID = `sha256:${HEX}`;

const accepts = test.macro({
  exec(t, input: string) {
    t.is(parseDigest(input), input);
    t.true(isDigest(input));
  },
  title: (provided, input) => provided ?? `accepts ${input}`,
});

const rejects = test.macro({
  exec(t, input: string) {
    const err = t.throws(() => parseDigest(input), { instanceOf: InvalidDigestError });
    t.is(err?.digest, input);
    t.false(isDigest(input));
  },
  title: (provided, input) => `rejects ${provided ?? JSON.stringify(input)}`,
});

test(accepts, VALID);
test(accepts, `sha256:${'0123456789abcdef'.repeat(4)}`);

test('empty string', rejects, '');
test('missing algorithm', rejects, HEX);
test('uppercase hex', rejects, `sha256:${HEX.toUpperCase()}`);
test('short hex', rejects, `sha256:${HEX.slice(1)}`);
test('long hex', rejects, `sha256:${HEX}0`);
test('non-hex character', rejects, `sha256:${HEX.slice(1)}g`);
test('other algorithm', rejects, `sha512:${HEX}${HEX}`);
test('uppercase algorithm', rejects, `SHA256:${HEX}`);
test('surrounding whitespace', rejects, ` ${VALID}\n`);

test('isDigest rejects non-strings', (t) => {
  for (const v of [undefined, null, 42, { digest: VALID }, [VALID]]) t.false(isDigest(v));
});

test('sha256Digest hashes strings as UTF-8 and buffers as bytes', (t) => {
  t.is(sha256Digest(''), VALID);
  t.is(sha256Digest(Buffer.alloc(0)), VALID);
  t.is(sha256Digest('abc'), 'sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  t.is(sha256Digest('é'), sha256Digest(Buffer.from([0xc3, 0xa9])));
  t.true(isDigest(sha256Digest('anything')));
});

test('digestHex returns the hex part and validates', (t) => {
  t.is(digestHex(VALID), HEX);
  t.throws(() => digestHex('sha256:nope'), { instanceOf: InvalidDigestError });
});

test('InvalidDigestError is an Error with a name and a helpful message', (t) => {
  const err = new InvalidDigestError('bad');
  t.true(err instanceof Error);
  t.is(err.name, 'InvalidDigestError');
  t.regex(err.message, /"bad".*sha256/);
});
