#!/usr/bin/env node
// tap-check: validate a TAP stream the way a strict consumer would.
//
// Reads TAP from FILE (or stdin when FILE is absent or "-"), parses it
// with tap-parser in strict mode and exits 1, printing every reason to
// stderr, when anything about the stream itself is wrong:
//
//   - tap-parser errors: in strict mode every non-TAP line (anything that
//     is not a version, plan, test point, comment, pragma, bail out, a
//     well-formed YAML block or a 4-space indented subtest) becomes a
//     failure carrying `tapError`, and is also emitted as an 'extra' event;
//     so do ids outside the plan, duplicate ids, a missing plan, a second
//     plan, a test point after a trailing plan, YAML that does not parse;
//   - a 'Bail out!';
//   - a plan whose count does not match the test points, at any level
//     (tap-parser only flags that when the level otherwise passed);
//   - a subtest with no closing test point, or whose closing point's name
//     or ok/not ok disagrees with its `# Subtest:` name and its results;
//   - a first line that is not `TAP version N` for the N of --version;
//   - a carriage return anywhere, or no newline at the end of the stream;
//
// and, as expectations about the run rather than the format:
//
//   --expect-ok true|false   the stream's overall result
//   --expect-count N         the top-level plan is 1..N
//
// --dump-failures FILE writes one JSON object per failing assertion
// (subtest closing points excluded) with its full name and parsed YAML
// diagnostics, so shell tests can check them without a YAML parser.
//
// Prints one summary line to stdout. Exit 0 when everything holds, 1 when
// something does not, 2 on a usage or input error.

import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Parser } from 'tap-parser';

const USAGE = `usage: node tap-check.mjs [options] [FILE|-]
  --version N           require the first line to be "TAP version N"
  --expect-ok true|false
                        require the overall result to be ok / not ok
  --expect-count N      require the top-level plan to be 1..N
  --dump-failures FILE  write failing assertions as JSON lines to FILE
  --help                show this help`;

function usage(msg) {
  if (msg) process.stderr.write(`tap-check: ${msg}\n`);
  process.stderr.write(USAGE + '\n');
  process.exit(2);
}

function parseOptions() {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        version: { type: 'string' },
        'expect-ok': { type: 'string' },
        'expect-count': { type: 'string' },
        'dump-failures': { type: 'string' },
        help: { type: 'boolean' },
      },
    });
  } catch (er) {
    usage(er.message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    process.exit(0);
  }
  if (positionals.length > 1) usage('at most one input file');
  const opts = {
    file: positionals[0] ?? '-',
    version: null,
    expectOk: null,
    expectCount: null,
    dumpFailures: values['dump-failures'] ?? null,
  };
  const count = (name, v) => {
    if (!/^[0-9]+$/.test(v)) usage(`--${name} wants a number, got '${v}'`);
    return Number(v);
  };
  if (values.version !== undefined) opts.version = count('version', values.version);
  if (values['expect-count'] !== undefined)
    opts.expectCount = count('expect-count', values['expect-count']);
  if (values['expect-ok'] !== undefined) {
    const v = values['expect-ok'];
    if (v !== 'true' && v !== 'false') usage(`--expect-ok wants true or false, got '${v}'`);
    opts.expectOk = v === 'true';
  }
  return opts;
}

function readInput(file) {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (er) {
    process.stderr.write(`tap-check: cannot read ${file === '-' ? 'stdin' : file}: ${er.message}\n`);
    process.exit(2);
  }
}

// Quote a TAP line for an error message: trimmed of its newline, short.
function show(line) {
  const s = JSON.stringify(String(line).replace(/\n$/, ''));
  return s.length > 160 ? s.slice(0, 157) + '..."' : s;
}

// Checks that only need the raw text, before any parsing.
function checkText(text, opts, problems) {
  const lines = text.split('\n');
  if (opts.version !== null && lines[0] !== `TAP version ${opts.version}`)
    problems.push(`first line is ${show(lines[0])}, wanted "TAP version ${opts.version}"`);
  if (text.length && !text.endsWith('\n'))
    problems.push('stream does not end with a newline');
  const cr = lines.findIndex(l => l.includes('\r'));
  if (cr !== -1)
    problems.push(`carriage return in line ${cr + 1}: ${show(lines[cr])} (escape CR/LF in names and YAML)`);
}

// Where a parser sits in the tree, for messages: "top level" or "subtest 'a > b'".
function where(p) {
  return p.level === 0 ? 'top level' : `subtest '${p.fullname}'`;
}

// Everything wrong with one parser (top level or a subtest) once it completed.
function checkLevel(p, results, problems) {
  for (const f of results.failures) {
    if (!f.tapError) continue; // a plain failing test point, not a format error
    let msg = `tap-parser (${where(p)}): ${f.tapError}`;
    if (f.data) msg += `: ${show(f.data)}`;
    else if (f.name || f.id) msg += `: test point ${f.id} ${show(f.name)}`;
    problems.push(msg);
  }
  const { plan } = results;
  if (plan.start !== null && plan.end !== null && !plan.skipAll) {
    const want = plan.end - plan.start + 1;
    if (results.count !== want)
      problems.push(`${where(p)}: plan ${plan.start}..${plan.end} but ${results.count} test points`);
  }
  if (p.level === 0) return;
  const closing = p.closingTestPoint;
  if (!closing) {
    problems.push(`${where(p)}: no closing test point after the subtest`);
    return;
  }
  if (closing.name !== p.name)
    problems.push(`${where(p)}: closing test point is named ${show(closing.name)}, ` +
      `the '# Subtest:' line says ${show(p.name)}`);
  if (!closing.todo && !closing.skip && closing.ok !== results.ok)
    problems.push(`${where(p)}: closing test point says ${closing.ok ? 'ok' : 'not ok'} ` +
      `but its assertions ${results.ok ? 'all passed' : 'did not all pass'}`);
}

function main() {
  const opts = parseOptions();
  const text = readInput(opts.file);
  const problems = [];
  checkText(text, opts, problems);

  const parser = new Parser({ strict: true });
  const stats = { points: 0, pass: 0, fail: 0, skip: 0, todo: 0 };
  const failures = [];
  let version = null;
  let final = null;

  parser.on('version', v => { version = v; });
  parser.on('bailout', reason => problems.push(`Bail out!${reason ? ' ' + reason : ''}`));
  parser.on('extra', data => problems.push(`non-TAP line: ${show(data)}`));
  parser.on('result', res => {
    stats.points++;
    if (res.skip) stats.skip++;
    else if (res.todo) stats.todo++;
    else if (res.ok) stats.pass++;
    else stats.fail++;
  });
  parser.on('fail', res => failures.push({ name: res.fullname, id: res.id, diag: res.diag }));

  const watch = p => {
    p.on('child', watch);
    p.on('complete', results => {
      checkLevel(p, results, problems);
      if (p.level === 0) final = results;
    });
  };
  watch(parser);
  parser.end(text);

  /* c8 ignore next */
  if (!final) problems.push('tap-parser never completed');
  else {
    if (opts.version !== null && version !== opts.version)
      problems.push(`TAP version is ${version ?? 'missing'}, wanted ${opts.version}`);
    const n = final.plan.end;
    if (opts.expectCount !== null && (final.plan.start !== 1 || n !== opts.expectCount))
      problems.push(`top-level plan is ${final.plan.start ?? '?'}..${n ?? '?'}, wanted 1..${opts.expectCount}`);
    if (opts.expectOk !== null && final.ok !== opts.expectOk)
      problems.push(`result is ${final.ok ? 'ok' : 'not ok'}, wanted ${opts.expectOk ? 'ok' : 'not ok'}`);
  }

  if (opts.dumpFailures !== null)
    writeFileSync(opts.dumpFailures, failures.map(f => JSON.stringify(f) + '\n').join(''));

  // The same message can come from a subtest and from its parent.
  const unique = [...new Set(problems)];
  for (const p of unique) process.stderr.write(`tap-check: ${p}\n`);

  const plan = final && final.plan.start !== null ? `${final.plan.start}..${final.plan.end}` : 'none';
  const summary = `TAP version ${version ?? '?'}, plan ${plan}, ${final ? final.count : 0} top-level, ` +
    `${stats.points} assertions: ${stats.pass} pass, ${stats.fail} fail, ${stats.skip} skip, ` +
    `${stats.todo} todo; ${final && final.ok ? 'ok' : 'not ok'}`;
  if (unique.length) {
    process.stdout.write(`tap-check: FAIL (${unique.length} problem${unique.length > 1 ? 's' : ''}) ${summary}\n`);
    process.exit(1);
  }
  process.stdout.write(`tap-check: PASS ${summary}\n`);
}

main();
