import test from 'ava';
import {
  CompiledTemplate,
  TemplateError,
  compileTemplate,
  isTableTemplate,
  renderTemplate,
  splitCamelCase,
  stripTable,
  tableHeaders,
} from '../../../src/format/template.js';

// --- fixtures ----------------------------------------------------------------

class Container {
  readonly ID = 'f00dcafe1234';
  readonly Names = ['web', 'web-alias'];
  readonly Labels: Record<string, string> = { 'com.example.role': 'frontend', tier: 'web' };
  readonly Annotations = new Map([['io.kubernetes.pod', 'mypod']]);
  readonly Ports: string[] = [];
  readonly Pid = 4242;
  readonly CPU = 12.5;
  readonly Running = true;
  readonly ExitCode = 0;
  readonly State = { Status: 'running', Health: { Status: 'healthy' } };
  readonly Mounts = [
    { Source: '/data', Destination: '/var/lib/data' },
    { Source: '/logs', Destination: '/var/log' },
  ];
  readonly Restarts: number | null = null;

  get ShortID(): string {
    return this.ID.slice(0, 4);
  }

  Label(key: string): string {
    return this.Labels[key] ?? '';
  }

  Command(): string {
    return 'nginx -g daemon off;';
  }

  Fail(): string {
    throw new Error('cannot compute');
  }
}

const ctr = new Container();

// --- macros --------------------------------------------------------------------

// The same source is tried with several data sets; ava needs distinct titles.
const usedTitles = new Map<string, number>();
function uniqueTitle(title: string): string {
  const count = (usedTitles.get(title) ?? 0) + 1;
  usedTitles.set(title, count);
  return count === 1 ? title : `${title} #${count}`;
}

const renders = test.macro({
  exec(t, source: string, data: unknown, expected: string) {
    t.is(renderTemplate(source, data), expected);
  },
  title: (provided, source: string) => provided ?? uniqueTitle(`renders ${JSON.stringify(source)}`),
});

const fails = test.macro({
  exec(t, source: string, data: unknown, expected: string) {
    const error = t.throws(() => renderTemplate(source, data), { instanceOf: TemplateError });
    t.is(error?.message, expected);
    t.false(error?.message.includes('\n'), 'messages are one line');
  },
  title: (provided, source: string) => provided ?? uniqueTitle(`rejects ${JSON.stringify(source)}`),
});

type Case = [source: string, data: unknown, expected: string];

// --- text, dot and fields --------------------------------------------------------

const basics: Case[] = [
  ['plain text only', null, 'plain text only'],
  ['', ctr, ''],
  ['{{.}}', 'hello', 'hello'],
  ['{{.ID}}', ctr, 'f00dcafe1234'],
  ['{{.State.Status}}', ctr, 'running'],
  ['{{.State.Health.Status}}', ctr, 'healthy'],
  ['{{.ShortID}}', ctr, 'f00d'],
  ['{{.Command}}', ctr, 'nginx -g daemon off;'],
  ['{{.Label "tier"}}', ctr, 'web'],
  ['{{"tier" | .Label}}', ctr, 'web'],
  ['{{$.ID}}', ctr, 'f00dcafe1234'],
  ['{{(.State).Status}}', ctr, 'running'],
  ['{{(index .Mounts 1).Source}}', ctr, '/logs'],
  ['ID={{.ID}} PID={{.Pid}}!', ctr, 'ID=f00dcafe1234 PID=4242!'],
];
for (const [source, data, expected] of basics) test(renders, source, data, expected);

// --- maps ------------------------------------------------------------------------

const maps: Case[] = [
  ['{{.Annotations.io}}', ctr, '<no value>'],
  ['{{index .Annotations "io.kubernetes.pod"}}', ctr, 'mypod'],
  ['{{index .Labels "com.example.role"}}', ctr, 'frontend'],
  ['{{index .Labels "missing"}}', ctr, '<no value>'],
  ['{{.Missing}}', new Map(), '<no value>'],
  ['{{.Missing.Deeper}}', new Map(), '<no value>'],
  ['{{.Role}}', Object.assign(Object.create(null) as object, { Role: 'db' }), 'db'],
  ['{{.Other}}', Object.assign(Object.create(null) as object, { Role: 'db' }), '<no value>'],
  ['{{index . "a" "b"}}', { a: { b: 'nested' } }, 'nested'],
  ['{{index . 1 0}}', [['x'], ['y', 'z']], 'y'],
  ['{{index . 1}}', 'abc', '98'],
  ['{{index .}}', 'whole', 'whole'],
];
for (const [source, data, expected] of maps) test(renders, source, data, expected);

// --- pipelines, parentheses and trimming -----------------------------------------

const pipelines: Case[] = [
  ['{{.ID | upper}}', { ID: 'abc' }, 'ABC'],
  ['{{.ID | upper | lower}}', { ID: 'AbC' }, 'abc'],
  ['{{"x" | printf "%s-%s" "y"}}', null, 'y-x'],
  ['{{printf "%d items" (len .)}}', [1, 2, 3], '3 items'],
  ['{{len (split "a,b,c" ",")}}', null, '3'],
  ['{{(upper "a")}}{{("b")}}', null, 'Ab'],
  ['a  {{- "b" -}}  c', null, 'abc'],
  ['a\n\t{{- "b"}}\n', null, 'ab\n'],
  ['{{"b" -}}\n\n  c', null, 'bc'],
  ['{{- "only" -}}', null, 'only'],
  ['{{ "spaced" }}', null, 'spaced'],
  ['{{-3}}', null, '-3'],
  ['x {{/* a comment */}}y', null, 'x y'],
  ['x {{- /* trimmed comment */ -}} y', null, 'xy'],
];
for (const [source, data, expected] of pipelines) test(renders, source, data, expected);

// --- literals --------------------------------------------------------------------

const literals: Case[] = [
  ['{{"a\\tb\\u00e9\\x41\\101\\"q\\""}}', null, 'a\tbéAA"q"'],
  ['{{`raw \\n text`}}', null, 'raw \\n text'],
  ["{{'a'}} {{'\\n'}}", null, '97 10'],
  ['{{42}} {{-7}} {{+3}} {{1_000}}', null, '42 -7 3 1000'],
  ['{{0x1F}} {{0o17}} {{017}} {{0b101}}', null, '31 15 15 5'],
  ['{{1.5}} {{.5}} {{1e3}} {{2.50}}', null, '1.5 0.5 1000 2.5'],
  ['{{true}} {{false}}', null, 'true false'],
  ['{{print nil}}', null, '<nil>'],
];
for (const [source, data, expected] of literals) test(renders, source, data, expected);

// --- control structures ----------------------------------------------------------

const control: Case[] = [
  ['{{if .Running}}up{{end}}', ctr, 'up'],
  ['{{if .ExitCode}}failed{{else}}ok{{end}}', ctr, 'ok'],
  ['{{if .Ports}}ports{{else if .Running}}running{{else}}none{{end}}', ctr, 'running'],
  ['{{if eq .State.Status "exited"}}x{{else if eq .State.Status "paused"}}p{{else}}r{{end}}', ctr, 'r'],
  ['{{with .State.Health}}{{.Status}}{{end}}', ctr, 'healthy'],
  ['{{with .Ports}}has{{else}}no ports{{end}}', ctr, 'no ports'],
  ['{{with .Ports}}a{{else with .Names}}{{index . 0}}{{end}}', ctr, 'web'],
  ['{{with $h := .State.Health}}{{$h.Status}}{{end}}', ctr, 'healthy'],
  ['{{range .Names}}[{{.}}]{{end}}', ctr, '[web][web-alias]'],
  ['{{range $i, $n := .Names}}{{$i}}:{{$n}} {{end}}', ctr, '0:web 1:web-alias '],
  ['{{range $m := .Mounts}}{{$m.Source}};{{end}}', ctr, '/data;/logs;'],
  ['{{range .Mounts}}{{.Source}}->{{.Destination}} {{end}}', ctr, '/data->/var/lib/data /logs->/var/log '],
  ['{{range $k, $v := .Labels}}{{$k}}={{$v}},{{end}}', ctr, 'com.example.role=frontend,tier=web,'],
  ['{{range $k, $v := .}}{{$k}}{{$v}}{{end}}', new Map([['b', 2], ['a', 1]]), 'a1b2'],
  ['{{range .Ports}}p{{else}}no ports{{end}}', ctr, 'no ports'],
  ['{{range .Restarts}}r{{else}}nil ranges as empty{{end}}', ctr, 'nil ranges as empty'],
  ['{{range 3}}{{.}}{{end}}', null, '012'],
  ['{{range .}}{{if eq . 3}}{{break}}{{end}}{{.}}{{end}}', [1, 2, 3, 4], '12'],
  ['{{range .}}{{if eq . 2}}{{continue}}{{end}}{{.}}{{end}}', [1, 2, 3], '13'],
  ['{{range .}}{{range .}}{{.}}{{end}};{{end}}', [[1, 2], [3]], '12;3;'],
  ['{{range .Names}}{{$.ID}} {{end}}', { ID: 'i', Names: [1, 2] }, 'i i '],
];
for (const [source, data, expected] of control) test(renders, source, data, expected);

// --- variables -------------------------------------------------------------------

const variables: Case[] = [
  ['{{$x := "v"}}{{$x}}', null, 'v'],
  ['{{$x := 1}}{{$x = 2}}{{$x}}', null, '2'],
  ['{{$n := 0}}{{range .}}{{$n = .}}{{end}}{{$n}}', [1, 2, 3], '3'],
  ['{{$x := "outer"}}{{if true}}{{$x := "inner"}}{{$x}}{{end}} {{$x}}', null, 'inner outer'],
  ['{{$name := .ID}}{{range .Names}}{{$name}}/{{.}} {{end}}', ctr, 'f00dcafe1234/web f00dcafe1234/web-alias '],
  ['{{$}}', 'root', 'root'],
];
for (const [source, data, expected] of variables) test(renders, source, data, expected);

// --- truthiness ------------------------------------------------------------------

const truthiness: [string, unknown, boolean][] = [
  ['true', true, true],
  ['false', false, false],
  ['zero', 0, false],
  ['non-zero number', -1, true],
  ['empty string', '', false],
  ['string', 'x', true],
  ['null', null, false],
  ['undefined', undefined, false],
  ['empty array', [], false],
  ['array', [0], true],
  ['empty object', {}, false],
  ['object', { a: 1 }, true],
  ['empty Map', new Map(), false],
  ['Map', new Map([[1, 1]]), true],
  ['class instance', ctr, true],
];
for (const [name, value, truth] of truthiness) {
  test(`truth of ${name} is ${truth}`, renders, '{{if .}}T{{else}}F{{end}}', value, truth ? 'T' : 'F');
}

// --- builtin functions -----------------------------------------------------------

const builtins: Case[] = [
  ['{{eq 1 1}} {{eq "a" "b"}} {{eq .State.Status "paused" "running"}}', ctr, 'true false true'],
  ['{{eq .Restarts nil}} {{ne .Restarts nil}}', ctr, 'true false'],
  ['{{ne 1 2}} {{ne "a" "a"}}', null, 'true false'],
  ['{{lt 1 2}} {{lt 2 1}} {{lt "a" "b"}} {{le 2 2}} {{gt 3 2}} {{ge 2 3}}', null, 'true false true true true false'],
  ['{{and 1 "x"}} {{and 1 0 2}} {{or 0 "" "y"}} {{or 0 ""}}', null, 'x 0 y '],
  ['{{or .Missing "default"}}', new Map(), 'default'],
  // and/or stop at the deciding argument: the failing index is never evaluated.
  ['{{or 1 (index .X 9)}} {{and 0 (index .X 9)}}', { X: [] }, '1 0'],
  ['{{not 0}} {{not "x"}} {{not .Ports}}', ctr, 'true false true'],
  ['{{len .Names}} {{len .Labels}} {{len .Annotations}} {{len "héllo"}}', ctr, '2 2 1 6'],
  ['{{slice .Names 1}} {{slice "hello" 1 3}} {{slice .Names 0 2}}', { Names: ['a', 'b', 'c'] }, '[b c] el [a b]'],
  ['{{print "a" 1 2 "b"}}', null, 'a1 2b'],
  ['{{println "a" 1}}', null, 'a 1\n'],
  ['{{printf "%s is %d" .State.Status .Pid}}', ctr, 'running is 4242'],
  ['{{printf "%v|%v" .Names .Restarts}}', ctr, '[web web-alias]|<nil>'],
];
for (const [source, data, expected] of builtins) test(renders, source, data, expected);

// --- podman's functions ----------------------------------------------------------

const podman: Case[] = [
  ['{{json .Names}}', ctr, '["web","web-alias"]'],
  ['{{json .Labels}}', ctr, '{"com.example.role":"frontend","tier":"web"}'],
  ['{{json .Annotations}}', ctr, '{"io.kubernetes.pod":"mypod"}'],
  ['{{json .}}', { b: 1, a: '<&>', c: null, d: [true] }, '{"b":1,"a":"<&>","c":null,"d":[true]}'],
  ['{{json .}}', new Map([['z', 1], ['a', 2]]), '{"a":2,"z":1}'],
  ['{{json .Missing}}', new Map(), 'null'],
  ['{{json .}}', 'line\u2028sep', '"line\\u2028sep"'],
  ['{{upper .}} {{lower .}}', 'MiXed', 'MIXED mixed'],
  ['{{title .}}', 'hello wide-world_x', 'Hello Wide-World_x'],
  ['{{join .Names ", "}}', ctr, 'web, web-alias'],
  ['{{join .Ports ","}}|{{join .Restarts ","}}', ctr, '|'],
  ['{{split . ":"}}', 'a:b:c', '[a b c]'],
  ['{{index (split . ":") 1}}', 'a:b:c', 'b'],
  ['{{truncate .ID 4}} {{truncate .ID 50}}', ctr, 'f00d f00dcafe1234'],
  ['[{{pad . 2 1}}]', 'x', '[  x ]'],
  ['[{{pad . 2 1}}]', '', '[]'],
];
for (const [source, data, expected] of podman) test(renders, source, data, expected);

// --- printing values -------------------------------------------------------------

const printing: [string, unknown, string][] = [
  ['integer', 42, '42'],
  ['negative integer', -7, '-7'],
  ['large integer', 123456789012, '123456789012'],
  ['float', 12.5, '12.5'],
  ['float with repr noise', 0.1 + 0.2, '0.30000000000000004'],
  ['small float', 0.00001, '1e-05'],
  ['large float', 1234567.5, '1.2345675e+06'],
  ['huge number', 1e21, '1e+21'],
  ['NaN', NaN, 'NaN'],
  ['bool', false, 'false'],
  ['null', null, '<nil>'],
  ['undefined', undefined, '<nil>'],
  ['array', ['a', 1, null, true], '[a 1 <nil> true]'],
  ['nested array', [[1, 2], []], '[[1 2] []]'],
  ['object with sorted keys', { b: 2, a: [1, 'x'] }, 'map[a:[1 x] b:2]'],
  ['Map', new Map([['k', { x: 1 }]]), 'map[k:map[x:1]]'],
  ['Date', new Date(Date.UTC(2024, 0, 2, 3, 4, 5)), '2024-01-02T03:04:05.000Z'],
  ['class instance', new (class Point { x = 1; y = 'two'; })(), '{1 two}'],
  ['stringer', new (class Ref { toString(): string { return 'ref!'; } })(), 'ref!'],
];
for (const [name, value, expected] of printing) test(`prints ${name}`, renders, '{{.}}', value, expected);

// --- printf ----------------------------------------------------------------------

const printf: [string, string, string][] = [
  ['%s|%q|%v', '"a" "b" "c"', 'a|"b"|c'],
  ['%d|%5d|%-5d|%05d|%+d', '1 2 3 -4 5', '1|    2|3    |-0004|+5'],
  ['%x|%X|%o|%b|%#x|%c|%U', '255 255 8 5 255 65 65', 'ff|FF|10|101|0xff|A|U+0041'],
  ['%f|%.2f|%8.3f|%e|%g', '3.14159 3.14159 3.14159 314.159 0.000314', '3.141590|3.14|   3.142|3.141590e+02|0.000314'],
  // Go rounds exact halves to even.
  ['%.0f %.0f %.2f', '0.5 2.5 0.125', '0 2 0.12'],
  ['%.3s|%-6s|%6s|', '"abcdef" "ab" "ab"', 'abc|ab    |    ab|'],
  ['%t %v %T %T %T', 'true false 1 "s" 1.5', 'true false int string float64'],
  ['%x %q', '"hi" "tab\\there"', '6869 "tab\\there"'],
  ['100%%', '', '100%'],
  ['%d %s', '', '%!d(MISSING) %!s(MISSING)'],
  ['%d', '"x"', '%!d(string=x)'],
  ['%s', '1 2', '%!s(int=1)%!(EXTRA int=2)'],
  ['%*d|%-*d|', '4 1 3 2', '   1|2  |'],
  ['%z', '1', '%!z(int=1)'],
];
for (const [format, args, expected] of printf) {
  const source = `{{printf ${JSON.stringify(format)} ${args}}}`;
  test(renders, source, null, expected);
}

// --- escapes ---------------------------------------------------------------------

test('\\t and \\n in text become tab and newline, as in podman', renders, '{{.A}}\\t{{.B}}\\n', { A: 1, B: 2 }, '1\t2\n');
test('escapes are expanded before trim markers apply', renders, '{{.A}}\\n  {{- .B}}', { A: 1, B: 2 }, '12');
test('escapes inside actions keep their Go meaning', renders, '{{printf "%s\\n" .A}}', { A: 'x' }, 'x\n');

// --- table helpers ---------------------------------------------------------------

test('isTableTemplate recognises the table keyword', (t) => {
  t.true(isTableTemplate('table {{.ID}}'));
  t.true(isTableTemplate('table'));
  t.true(isTableTemplate('table\t{{.ID}}'));
  t.false(isTableTemplate('{{.ID}}'));
  t.false(isTableTemplate('tables {{.ID}}'));
  t.false(isTableTemplate(' table {{.ID}}'));
});

test('stripTable removes the keyword and one blank', (t) => {
  t.is(stripTable('table {{.ID}}\t{{.Names}}'), '{{.ID}}\t{{.Names}}');
  t.is(stripTable('table  {{.ID}}'), ' {{.ID}}');
  t.is(stripTable('table'), '');
  t.is(stripTable('{{.ID}}'), '{{.ID}}');
});

const headers: [string, string][] = [
  ['table {{.ID}}\\t{{.Names}}', 'ID\tNAMES'],
  ['table {{.ID}}\t{{.Image}}\t{{.CreatedAt}}', 'ID\tIMAGE\tCREATED AT'],
  ['{{.RunningFor}} {{.HTMLPath}} {{.PIDs}}', 'RUNNING FOR HTML PATH PI DS'],
  ['table {{.State.Status}}', 'STATUS'],
  ['table {{.Names | upper}} {{join .Names ","}}', 'NAMES NAMES'],
  ['table {{index .Labels "tier"}}', 'LABELS'],
  ['table {{printf "%-8s|" .ID}}', 'ID      |'],
  ['table {{if .Ports}}{{.Ports}}{{end}} {{range .Mounts}}{{.Source}}{{end}}', 'PORTS SOURCE'],
  ['table', ''],
];
for (const [source, expected] of headers) {
  test(`tableHeaders(${JSON.stringify(source)})`, (t) => {
    t.is(tableHeaders(source), expected);
  });
}

test('splitCamelCase follows podman camelcase rules', (t) => {
  t.deepEqual(splitCamelCase('CreatedAt'), ['Created', 'At']);
  t.deepEqual(splitCamelCase('ID'), ['ID']);
  t.deepEqual(splitCamelCase('HTMLParser'), ['HTML', 'Parser']);
  t.deepEqual(splitCamelCase('IPv4Address'), ['I', 'Pv', '4', 'Address']);
  t.deepEqual(splitCamelCase('lowercase'), ['lowercase']);
});

// --- compiled templates ----------------------------------------------------------

test('a compiled template can be executed many times', (t) => {
  const template = compileTemplate('{{.ID}}:{{len .Names}}');
  t.true(template instanceof CompiledTemplate);
  t.is(template.execute({ ID: 'a', Names: [] }), 'a:0');
  t.is(template.execute({ ID: 'b', Names: [1] }), 'b:1');
});

test('headers() renders a header row from a compiled row template', (t) => {
  const template = compileTemplate(stripTable('table {{.ID}}\t{{.Names}}'));
  t.is(template.headers(), 'ID\tNAMES');
  t.is(template.execute(ctr), 'f00dcafe1234\t[web web-alias]');
});

test('the template name appears in error messages', (t) => {
  t.throws(() => compileTemplate('{{foo}}', { name: 'ps' }), {
    instanceOf: TemplateError,
    message: 'template: ps:1: function "foo" not defined',
  });
  t.throws(() => renderTemplate('{{.Nope}}', {}, { name: 'ps' }), {
    message: 'template: ps:1:2: executing "ps" at <.Nope>: can\'t evaluate field Nope in type object',
  });
});

test('TemplateError is an Error with its own name', (t) => {
  const error = t.throws(() => compileTemplate('{{'));
  t.true(error instanceof Error);
  t.is(error?.name, 'TemplateError');
});

// --- parse errors ----------------------------------------------------------------

const parseErrors: Case[] = [
  ['{{.ID', null, 'template: output:1: unclosed action'],
  ['{{.ID}', null, "template: output:1: bad character U+007D '}'"],
  ['{{.ID ', null, 'template: output:1: unclosed action'],
  ['{{foo .ID}}', null, 'template: output:1: function "foo" not defined'],
  ['line one\n{{bar}}', null, 'template: output:2: function "bar" not defined'],
  ['{{if .A}}no end', null, 'template: output:1: unexpected EOF'],
  ['{{end}}', null, 'template: output:1: unexpected {{end}}'],
  ['{{else}}', null, 'template: output:1: unexpected {{else}}'],
  ['{{if 1}}{{else}}{{else}}{{end}}', null, 'template: output:1: expected end; found {{else}}'],
  ['{{}}', null, 'template: output:1: missing value for command'],
  ['{{if}}{{end}}', null, 'template: output:1: missing value for if'],
  ['{{range}}{{end}}', null, 'template: output:1: missing value for range'],
  ['{{.A |}}', null, 'template: output:1: empty command'],
  ['{{.A | "x"}}', null, 'template: output:1: non executable command in pipeline stage 2'],
  ['{{$x}}', null, 'template: output:1: undefined variable "$x"'],
  ['{{if 1}}{{$x := 1}}{{end}}{{$x}}', null, 'template: output:1: undefined variable "$x"'],
  ['{{break}}', null, 'template: output:1: {{break}} outside {{range}}'],
  ['{{template "x"}}', null, 'template: output:1: {{template}} is not supported'],
  ['{{"abc}}', null, 'template: output:1: unterminated quoted string'],
  ['{{`abc}}', null, 'template: output:1: unterminated raw quoted string'],
  ['{{"\\q"}}', null, 'template: output:1: invalid syntax'],
  ['{{3x}}', null, 'template: output:1: bad number syntax: "3x"'],
  ['{{.A @}}', null, 'template: output:1: unexpected "@" in operand'],
  ['{{.A#}}', null, "template: output:1: bad character U+0023 '#'"],
  ['{{(.A}}', null, 'template: output:1: unclosed left paren'],
  ['{{.A)}}', null, 'template: output:1: unexpected right paren'],
  ['{{$x : 1}}', null, 'template: output:1: expected :='],
  ['{{"a".B}}', null, 'template: output:1: unexpected . after term "\\"a\\""'],
  ['{{range $a, $b, $c := .}}{{end}}', null, 'template: output:1: too many declarations in range'],
  ['{{/* open', null, 'template: output:1: unclosed comment'],
  ['{{/* c */ x}}', null, 'template: output:1: comment ends before closing delimiter'],
];
for (const [source, data, expected] of parseErrors) test(fails, source, data, expected);

test('parse errors are thrown by compileTemplate, before any data is seen', (t) => {
  t.throws(() => compileTemplate('{{nope}}'), { instanceOf: TemplateError });
});

// --- execution errors ------------------------------------------------------------

/** Go's execution error: `template: NAME:LINE:COL: executing "NAME" at <CONTEXT>: MESSAGE`. */
const execFails = test.macro({
  exec(t, source: string, data: unknown, location: string, context: string, message: string) {
    const expected = `template: output:${location}: executing "output" at <${context}>: ${message}`;
    const error = t.throws(() => renderTemplate(source, data), { instanceOf: TemplateError });
    t.is(error?.message, expected);
    t.false(error?.message.includes('\n'), 'messages are one line');
  },
  title: (provided, source: string) => provided ?? uniqueTitle(`fails executing ${JSON.stringify(source)}`),
});

const execErrors: [source: string, data: unknown, location: string, context: string, message: string][] = [
  ['{{.Foo}}', ctr, '1:2', '.Foo', "can't evaluate field Foo in type Container"],
  ['{{.State.Nope}}', ctr, '1:2', '.State.Nope', "can't evaluate field Nope in type object"],
  ['x\n  {{.ID.Len}}', { ID: 'a' }, '2:4', '.ID.Len', "can't evaluate field Len in type string"],
  ['{{.Names.Len}}', ctr, '1:2', '.Names.Len', "can't evaluate field Len in type []interface {}"],
  ['{{.toString}}', {}, '1:2', '.toString', "can't evaluate field toString in type object"],
  ['{{.Restarts.Count}}', ctr, '1:2', '.Restarts.Count', 'nil pointer evaluating <nil>.Count'],
  ['{{.Fail}}', ctr, '1:2', '.Fail', 'error calling Fail: cannot compute'],
  ['{{.ID 1}}', ctr, '1:2', '.ID', 'ID has arguments but cannot be invoked as function'],
  ['{{.k 1}}', new Map([['k', 1]]), '1:2', '.k', 'k is not a method but has arguments'],
  ['{{1 2}}', null, '1:2', '1', "can't give argument to non-function 1"],
  ['{{nil}}', null, '1:2', 'nil', 'nil is not a command'],
  ['{{index .Names 5}}', ctr, '1:2', 'index .Names 5', 'error calling index: index out of range: 5'],
  ['{{index .Names "a"}}', ctr, '1:2', 'index .Names "a"', 'error calling index: cannot index slice/array with type string'],
  ['{{index .Pid 1}}', ctr, '1:2', 'index .Pid 1', "error calling index: can't index item of type int"],
  ['{{index .Restarts 1}}', ctr, '1:2', 'index .Restarts 1', 'error calling index: index of untyped nil'],
  ['{{len .Pid}}', ctr, '1:2', 'len .Pid', 'error calling len: len of type int'],
  ['{{len 1 2}}', null, '1:2', 'len 1 2', 'wrong number of args for len: want 1 got 2'],
  ['{{and}}', null, '1:2', 'and', 'wrong number of args for and: want at least 1 got 0'],
  ['{{eq 1 "1"}}', null, '1:2', 'eq 1 "1"', 'error calling eq: incompatible types for comparison'],
  ['{{eq 1}}', null, '1:2', 'eq 1', 'error calling eq: missing argument for comparison'],
  ['{{lt true false}}', null, '1:2', 'lt true false', 'error calling lt: invalid type for comparison'],
  ['{{eq .Names .Names}}', ctr, '1:2', 'eq .Names .Names', 'error calling eq: non-comparable type [web web-alias]: []interface {}'],
  ['{{upper .Pid}}', ctr, '1:2', 'upper .Pid', 'wrong type for value; expected string; got int'],
  ['{{upper .Missing}}', new Map(), '1:2', 'upper .Missing', 'invalid value; expected string'],
  ['{{truncate .ID "4"}}', ctr, '1:2', 'truncate .ID "4"', 'wrong type for value; expected int; got string'],
  ['{{join .ID ","}}', ctr, '1:2', 'join .ID ","', 'wrong type for value; expected []string; got string'],
  ['{{range .ID}}{{end}}', ctr, '1:8', '{{range .ID}}', "range can't iterate over f00dcafe1234"],
  ['{{range $i, $x := 3}}{{end}}', null, '1:8', '{{range $i, $x := 3}}', "can't use 3 to iterate over more than one variable"],
  ['{{.}}', () => 1, '1:2', '{{.}}', "can't print {{.}} of type func"],
  ['{{index `a\nb` 9}}', null, '1:2', 'index `a\\nb` 9', 'error calling index: index out of range: 9'],
];
for (const [source, data, location, context, message] of execErrors) {
  test(execFails, source, data, location, context, message);
}
