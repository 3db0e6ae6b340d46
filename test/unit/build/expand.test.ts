import test from 'ava';
import { expandHeredoc, expandWord, expandWords, splitRawWords } from '../../../src/build/containerfile/expand.js';
import { ExpansionError } from '../../../src/build/containerfile/errors.js';

const vars = { FOO: 'foo', EMPTY: '', SPACED: 'a b  c', PORTS: '80 443/udp' };

const word = test.macro({
  exec(t, input: string, expected: string, escape: '\\' | '`' = '\\') {
    t.is(expandWord(input, vars, { escape }), expected);
  },
  title: (title, input: string, expected: string, escape: string = '\\') => title ?? `expandWord ${JSON.stringify(input)} → ${JSON.stringify(expected)} (escape ${escape})`,
});

test(word, '$FOO', 'foo');
test(word, '${FOO}', 'foo');
test(word, '${FOO}bar', 'foobar');
test(word, '$FOObar', '');
test(word, 'x$FOO/y', 'xfoo/y');
test(word, '$UNSET', '');
test(word, '${UNSET:-def}', 'def');
test(word, '${EMPTY:-def}', 'def');
test(word, '${EMPTY-def}', '');
test(word, '${UNSET-def}', 'def');
test(word, '${FOO:-def}', 'foo');
test(word, '${FOO:+alt}', 'alt');
test(word, '${EMPTY:+alt}', '');
test(word, '${EMPTY+alt}', 'alt');
test(word, '${UNSET+alt}', '');
test(word, '${UNSET:-$FOO}', 'foo');
test(word, '${UNSET:-"a b"}', 'a b');
test(word, '\\$FOO', '$FOO');
test(word, "'$FOO'", '$FOO');
test(word, '"$FOO"', 'foo');
test(word, '"\\$FOO"', '$FOO');
test(word, '"a\\b"', 'a\\b');
test(word, '"say \\"hi\\""', 'say "hi"');
test(word, 'a\\ b', 'a b');
test(word, 'hello   world', 'hello   world');
test(word, '$', '$');
test(word, 'a$', 'a$');
test(word, '$1', '');
test(word, '`$FOO', '$FOO', '`');
test(word, 'C:\\dir', 'C:\\dir', '`');

test('expandWord: ${VAR:?msg} fails when unset (or empty, with the colon), with the message', (t) => {
  const err = t.throws(() => expandWord('${UNSET:?must be set}', vars), { instanceOf: ExpansionError });
  t.is(err?.message, 'UNSET: must be set');
  t.is(expandWord('${FOO:?x}', vars), 'foo');
  t.throws(() => expandWord('${UNSET?}', vars), { message: 'UNSET: is not allowed to be unset' });
  t.throws(() => expandWord('${EMPTY:?}', vars), { message: 'EMPTY: is not allowed to be empty' });
  t.is(expandWord('${EMPTY?}', vars), '');
});

const pathVars = { P: '/usr/local/lib/libfoo.so.1.2', V: 'a*b*c' };
const pattern = test.macro({
  exec(t, input: string, expected: string) {
    t.is(expandWord(input, pathVars), expected);
  },
  title: (title, input: string, expected: string) => title ?? `pattern ${input} → ${JSON.stringify(expected)}`,
});
test(pattern, '${P#*/}', 'usr/local/lib/libfoo.so.1.2');
test(pattern, '${P##*/}', 'libfoo.so.1.2');
test(pattern, '${P%.*}', '/usr/local/lib/libfoo.so.1');
test(pattern, '${P%%.*}', '/usr/local/lib/libfoo');
test(pattern, '${P#/usr}', '/local/lib/libfoo.so.1.2');
test(pattern, '${P#nomatch}', '/usr/local/lib/libfoo.so.1.2');
test(pattern, '${P%.?}', '/usr/local/lib/libfoo.so.1');
test(pattern, '${V#*\\*}', 'b*c');
test(pattern, '${V%\\**}', 'a*b');
test(pattern, '${UNSET#x}', '');
test(pattern, '${P/lib/LIB}', '/usr/local/LIB/libfoo.so.1.2');
test(pattern, '${P//lib/LIB}', '/usr/local/LIB/LIBfoo.so.1.2');
test(pattern, '${P/l*b/X}', '/usr/Xfoo.so.1.2');
test(pattern, '${P//[.]/x}', '/usr/local/lib/libfoo.so.1.2');
test(pattern, '${P/.so/$V}', '/usr/local/lib/libfooa*b*c.1.2');

test('special parameters are never set: $$ and $@ expand to nothing, as in docker', (t) => {
  t.is(expandWord('a$$b$@c$#', vars), 'abc');
});

test('expandWord: unterminated quotes and braces are errors', (t) => {
  t.throws(() => expandWord("'abc", vars), { instanceOf: ExpansionError, message: /single-quote/ });
  t.throws(() => expandWord('"abc', vars), { instanceOf: ExpansionError, message: /double-quote/ });
  t.throws(() => expandWord('${FOO', vars), { instanceOf: ExpansionError, message: "syntax error: missing '}'" });
  t.throws(() => expandWord('${FOO:-x', vars), { instanceOf: ExpansionError, message: "syntax error: missing '}'" });
  t.throws(() => expandWord('${', vars), { instanceOf: ExpansionError, message: "syntax error: missing '}'" });
  t.throws(() => expandWord('${FOO:=x}', vars), { instanceOf: ExpansionError, message: 'unsupported modifier (:=) in substitution' });
  t.throws(() => expandWord('${FOO:#x}', vars), { instanceOf: ExpansionError, message: 'unsupported modifier (:#) in substitution' });
  t.throws(() => expandWord('${}', vars), { instanceOf: ExpansionError, message: 'syntax error: bad substitution' });
  t.throws(() => expandWord('${:-x}', vars), { instanceOf: ExpansionError, message: 'syntax error: bad substitution' });
  t.throws(() => expandWord('${FOO/x}', vars), { instanceOf: ExpansionError, message: "syntax error: missing '/' in ${}" });
});

test('expandWords splits on unquoted whitespace, also inside an unquoted expansion', (t) => {
  t.deepEqual(expandWords('$PORTS 8080', vars), ['80', '443/udp', '8080']);
  t.deepEqual(expandWords('"$SPACED" x', vars), ['a b  c', 'x']);
  t.deepEqual(expandWords("'a b' \"c d\"", vars), ['a b', 'c d']);
  t.deepEqual(expandWords('  $EMPTY  ', vars), []);
  t.deepEqual(expandWords('pre$SPACED', vars), ['prea', 'b', 'c']);
});

test('expandHeredoc keeps quotes and replaces variables', (t) => {
  t.is(expandHeredoc('echo "$FOO" \'$FOO\' \\$FOO \\n\n', vars), 'echo "foo" \'foo\' $FOO \\n\n');
});

test('splitRawWords keeps quotes in the words', (t) => {
  t.deepEqual(splitRawWords('a="b c" d=e\\ f  \'g h\''), ['a="b c"', 'd=e\\ f', "'g h'"]);
  t.deepEqual(splitRawWords('  '), []);
});
