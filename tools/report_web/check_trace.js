#!/usr/bin/env node
// Opens a dlvp trace.json in Chromium's own trace viewer and checks that it read every slice
// (docs/report.md, "Compatibility, as checked"). chrome://tracing no longer exists in Chromium
// (Debian's 156 answers ERR_FAILED); its successor is DevTools' Performance panel, whose trace
// engine (models/trace, the "Load trace…" button's parser) runs here on the file's events inside
// the DevTools front end that Chromium bundles. Checked: the engine parses without an exception and
// without warnings; every track the file names (thread_name metadata) is a thread of the parsed
// trace with that name and exactly the file's number of complete ("X") slices — and the same
// slice names; every slice as the engine holds it has a numeric start and a non-negative duration
// (the engine accepts a negative or textual time without complaint: the check does not).
//
// Usage: node check_trace.js [--chromium PATH] [--screenshot PNG] TRACE.json
//   --screenshot: also load the file through the panel's "Load trace…" button and save a picture
//                 of the timeline with its tracks expanded (for docs/img).
// Prints one line per track; exit status 0 when every check passed, 1 otherwise.
'use strict';

const fs = require('fs');
const { chromium } = require('playwright-core');

const DEVTOOLS = 'devtools://devtools/bundled/trace_app.html';

function parseArgs(argv) {
  const options = { chromium: '/usr/bin/chromium', screenshot: null, trace: null };
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    const next = () => { if (i + 1 >= argv.length) throw new Error(a + ' needs a value'); return argv[++i]; };
    if (a === '--chromium') options.chromium = next();
    else if (a === '--screenshot') options.screenshot = next();
    else if (a.startsWith('--')) throw new Error('unknown option ' + a);
    else options.trace = a;
  }
  if (!options.trace) throw new Error('usage: check_trace.js [--chromium PATH] [--screenshot PNG] TRACE.json');
  return options;
}

// What the file says: per track (pid:tid) its name, its number of "X" slices and their names.
function expectedTracks(events) {
  const tracks = new Map();
  const track = (e) => {
    const key = e.pid + ':' + e.tid;
    if (!tracks.has(key)) tracks.set(key, { pid: e.pid, tid: e.tid, name: null, slices: 0, names: {} });
    return tracks.get(key);
  };
  for (const e of events) {
    if (e.ph === 'M' && e.name === 'thread_name') track(e).name = e.args.name;
    if (e.ph === 'X') {
      const t = track(e);
      t.slices += 1;
      t.names[e.name] = (t.names[e.name] || 0) + 1;
    }
  }
  return [...tracks.values()].filter((t) => t.name !== null);
}

// Runs DevTools' trace engine on the events inside the bundled front end; returns its threads.
async function parseInDevtools(page, events) {
  return page.evaluate(async (events) => {
    const Trace = await import('./models/trace/trace.js');
    const model = Trace.TraceModel.Model.createWithAllHandlers();
    await model.parse(events);
    const parsed = model.parsedTrace(0);
    const data = parsed.data || parsed;
    const threads = [];
    for (const [pid, process] of data.Renderer.processes) {
      for (const [tid, thread] of process.threads) {
        // What the panel would draw: each slice's name, and whether its start and length are
        // times (finite numbers, the length not negative).
        const names = {};
        let badTimes = 0;
        for (const e of thread.entries) {
          names[e.name] = (names[e.name] || 0) + 1;
          const dur = e.dur === undefined ? 0 : e.dur;
          if (typeof e.ts !== 'number' || !Number.isFinite(e.ts) || typeof dur !== 'number' || !(dur >= 0)) ++badTimes;
        }
        threads.push({ pid, tid, name: thread.name, slices: thread.entries.length, names, badTimes });
      }
    }
    const warnings = Object.keys((data.Warnings && data.Warnings.perWarning) || {});
    return { threads, warnings };
  }, events);
}

// The picture: the panel loads the file as a user would, tracks expanded.
async function screenshot(page, file, png) {
  await page.goto(DEVTOOLS);
  await page.getByText('Reconnect DevTools').first().waitFor({ timeout: 10000 }).catch(() => {});
  await page.locator('devtools-button.dialog-close-button').first().click({ timeout: 5000 }).catch(() => {});
  await page.locator('[aria-label="Performance"]').first().click();
  const [chooser] = await Promise.all([
    page.waitForEvent('filechooser'),
    page.locator('button[aria-label="Load trace…"]').first().click(),
  ]);
  await chooser.setFiles(file);
  await page.getByText('Bottom-up').first().waitFor({ timeout: 60000 });
  // The flame chart is a canvas: its shortcut help (opened on first load) and the process group's
  // expander are clicked where the 1600 x 1000 layout puts them.
  await page.mouse.click(1571, 77);
  await page.waitForTimeout(300);
  await page.mouse.click(250, 129);
  await page.waitForTimeout(1000);
  await page.screenshot({ path: png, clip: { x: 240, y: 0, width: 1360, height: 340 } });
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const json = JSON.parse(fs.readFileSync(options.trace, 'utf8'));
  const events = Array.isArray(json) ? json : json.traceEvents;
  const expected = expectedTracks(events);
  const problems = [];

  const browser = await chromium.launch({ executablePath: options.chromium, args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    page.on('pageerror', (e) => problems.push('uncaught exception in DevTools: ' + e.message));
    await page.goto(DEVTOOLS);
    const started = Date.now();
    const parsed = await parseInDevtools(page, events);
    console.log(`parsed ${events.length} events in ${Date.now() - started} ms: ${parsed.threads.length} threads`);
    for (const w of parsed.warnings) problems.push('DevTools warning: ' + w);
    for (const t of expected) {
      const got = parsed.threads.find((p) => p.pid === t.pid && p.tid === t.tid);
      console.log(`  ${t.name}: ${t.slices} slices in the file, ${got ? got.slices : 'no thread'} in DevTools`);
      if (t.slices === 0) continue;  // a track without slices (counters only) has no thread
      if (!got) problems.push(`track "${t.name}" (tid ${t.tid}) is missing`);
      else if (got.name !== t.name) problems.push(`track ${t.tid} is named "${got.name}", the file says "${t.name}"`);
      else if (got.slices !== t.slices) problems.push(`track "${t.name}": ${got.slices} slices read of ${t.slices}`);
      else if (got.badTimes) problems.push(`track "${t.name}": ${got.badTimes} slices without a valid start or duration`);
      else {
        const differing = Object.keys({ ...t.names, ...got.names }).filter((n) => t.names[n] !== got.names[n]);
        if (differing.length) problems.push(`track "${t.name}": slice names differ from the file's, e.g. "${differing[0]}"`);
      }
    }
    if (options.screenshot) await screenshot(await browser.newPage({ viewport: { width: 1600, height: 1000 } }), options.trace, options.screenshot);
  } finally {
    await browser.close();
  }
  for (const p of problems) console.log('FAIL ' + p);
  if (!problems.length) console.log(`check_trace: DevTools read all ${expected.length} tracks`);
  process.exit(problems.length ? 1 : 0);
}

main().catch((e) => { console.log('FAIL ' + e.message); process.exit(1); });
