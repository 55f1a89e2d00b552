#!/usr/bin/env node
// Loads dlvp's HTML pages in headless Chromium (Debian's, through playwright-core) and checks them as
// a person would see them (docs/report.md, "HTML pages"): no console error, no uncaught exception,
// no failed request and no request that leaves the file system; the page built itself; every chart
// drew SVG elements; the figures it shows equal the expected ones.
//
// Usage: node check_pages.js [--chromium PATH] [--screenshot PAGE=PNG]... PAGE.html [CHECK]... [PAGE.html [CHECK]...]
//   CHECK after its page: --figure ID=VALUE   the element #ID shows VALUE (in base units: s, J, W, ...)
//                                             to 4 significant digits, as "173.4 us" for 1.734e-4
//                         --number ID=VALUE   the element #ID begins with VALUE to 4 significant
//                                             digits, whatever unit follows ("1.5e+6 B", "12.3 GOPS")
//                         --integral CHART:SERIES=VALUE  the step integral of that line series of
//                                             the chart (each point's y held until the next point's
//                                             x) is VALUE, in the chart's units, to 1e-9 relative
//                         --series CHART=NAME the chart has a series named NAME
//                         --rows ID=N         the table #ID has N body rows
//                         --charts N          the page has at least N charts
//   --screenshot PAGE=PNG: after the checks, a picture of the whole page at half scale (docs/img)
// Prints one line per page (load time, charts and their SVG element counts); exit status 0 when
// every check passed, 1 otherwise.
'use strict';

const path = require('path');
const { chromium } = require('playwright-core');

const PREFIX = { T: 1e12, G: 1e9, M: 1e6, k: 1e3, '': 1, m: 1e-3, u: 1e-6, n: 1e-9, p: 1e-12, f: 1e-15 };

function parseArgs(argv) {
  const options = { chromium: '/usr/bin/chromium', pages: [], screenshots: {} };
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    const next = () => { if (i + 1 >= argv.length) throw new Error(a + ' needs a value'); return argv[++i]; };
    const current = () => { if (!options.pages.length) throw new Error(a + ' before any page'); return options.pages[options.pages.length - 1]; };
    if (a === '--chromium') options.chromium = next();
    else if (a === '--screenshot') { const [page, png] = next().split('='); options.screenshots[path.resolve(page)] = png; }
    else if (a === '--figure' || a === '--number') {
      const [id, value] = splitLast(next());
      current().figures.push({ id, value: Number(value), numberOnly: a === '--number' });
    } else if (a === '--integral') {
      const [target, value] = splitLast(next());
      const [chart, series] = splitFirst(target, ':');
      current().integrals.push({ chart, series, value: Number(value) });
    } else if (a === '--series') { const [chart, name] = splitFirst(next(), '='); current().series.push({ chart, name }); }
    else if (a === '--rows') { const [id, n] = next().split('='); current().rows.push({ id, n: Number(n) }); }
    else if (a === '--charts') current().minCharts = Number(next());
    else if (a.startsWith('--')) throw new Error('unknown option ' + a);
    else options.pages.push({ file: path.resolve(a), figures: [], rows: [], integrals: [], series: [], minCharts: 1 });
  }
  return options;
}

// "a=b=c" -> ["a=b", "c"]: an id may hold '=', a value never does.
function splitLast(text) {
  const at = text.lastIndexOf('=');
  return at < 0 ? [text, ''] : [text.slice(0, at), text.slice(at + 1)];
}
// "chart=a name=x" -> ["chart", "a name=x"]: a chart id holds neither ':' nor '=', a name may.
function splitFirst(text, separator) {
  const at = text.indexOf(separator);
  return at < 0 ? [text, ''] : [text.slice(0, at), text.slice(at + 1)];
}

// "173.4 us" -> 1.734e-4; "92.67 %" -> 0.9267; "5723 inferences/s" -> 5723.
function shownValue(text, numberOnly) {
  const m = /^\s*([-+]?[0-9.]+(?:e[-+]?[0-9]+)?)\s*(.*)$/.exec(text);
  if (!m) return NaN;
  const number = Number(m[1]);
  if (numberOnly) return number;
  const unit = m[2].trim();
  if (unit === '%') return number / 100;
  const prefix = unit.length > 1 && unit[0] in PREFIX && !/^(inferences|ops)/.test(unit) ? unit[0] : '';
  return number * PREFIX[prefix];
}

async function checkPage(browser, page, screenshot) {
  const problems = [];
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, deviceScaleFactor: screenshot ? 0.5 : 1 });
  const tab = await context.newPage();
  tab.on('console', (m) => { if (m.type() === 'error') problems.push('console error: ' + m.text()); });
  tab.on('pageerror', (e) => problems.push('uncaught exception: ' + e.message));
  tab.on('requestfailed', (r) => problems.push('failed request: ' + r.url() + ' (' + (r.failure() || {}).errorText + ')'));
  await tab.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:') || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
    problems.push('request outside the file system: ' + url);
    return route.abort();
  });
  const start = Date.now();
  await tab.goto('file://' + page.file, { waitUntil: 'load' });
  const ready = await tab.waitForFunction(() => window.dlvpPage && window.dlvpPage.ready, null, { timeout: 15000 })
    .then(() => true, () => false);
  const loadMs = Date.now() - start;
  if (!ready) problems.push('the page did not finish building itself (window.dlvpPage.ready)');

  const charts = await tab.evaluate(() => Object.keys((window.dlvpPage || {}).charts || {}).map((id) => {
    const svg = document.querySelector('#' + CSS.escape(id) + ' svg');
    const box = svg ? svg.getBoundingClientRect() : { width: 0, height: 0 };
    return { id, shapes: svg ? svg.querySelectorAll('path, rect, circle, polyline, polygon').length : 0,
             texts: svg ? svg.querySelectorAll('text').length : 0, width: box.width, height: box.height };
  }));
  if (charts.length < page.minCharts) problems.push(`${charts.length} charts, expected at least ${page.minCharts}`);
  for (const c of charts) {
    // Axes, legend and at least a few marks: an empty chart has its frame only.
    if (c.shapes < 10 || c.width < 100 || c.height < 100)
      problems.push(`chart ${c.id} looks empty: ${c.shapes} shapes, ${c.width}x${c.height} px`);
  }
  const texts = await tab.evaluate((ids) => ids.map((id) => { const e = document.getElementById(id); return e ? e.textContent : null; }),
                                  page.figures.map((f) => f.id));
  page.figures.forEach((f, i) => {
    const text = texts[i];
    if (text === null) { problems.push(`no element #${f.id}`); return; }
    const shown = shownValue(text, f.numberOnly);
    // 4 significant digits shown: within 5e-4 relative, and a little for binary rounding.
    if (!(Math.abs(shown - f.value) <= 5.01e-4 * Math.abs(f.value)))
      problems.push(`#${f.id} shows "${text}" (${shown}), expected ${f.value}`);
  });
  for (const g of page.integrals) {
    const integral = await tab.evaluate(([chart, name]) => {
      const c = (window.dlvpPage.charts || {})[chart];
      const series = c ? c.getOption().series.find((s) => s.name === name) : null;
      if (!series) return null;
      let sum = 0;
      for (let i = 0; i + 1 < series.data.length; ++i) sum += series.data[i][1] * (series.data[i + 1][0] - series.data[i][0]);
      return sum;
    }, [g.chart, g.series]);
    if (integral === null) problems.push(`no series "${g.series}" in chart ${g.chart}`);
    else if (!(Math.abs(integral - g.value) <= 1e-9 * Math.abs(g.value)))
      problems.push(`the integral of ${g.chart}:${g.series} is ${integral}, expected ${g.value}`);
  }
  for (const n of page.series) {
    const names = await tab.evaluate((chart) => {
      const c = (window.dlvpPage.charts || {})[chart];
      return c ? c.getOption().series.map((s) => s.name) : null;
    }, n.chart);
    if (names === null) problems.push(`no chart ${n.chart}`);
    else if (!names.includes(n.name)) problems.push(`chart ${n.chart} has no series "${n.name}" (it has: ${names.join(', ')})`);
  }
  for (const r of page.rows) {
    const n = await tab.evaluate((id) => { const t = document.getElementById(id); return t ? t.querySelectorAll('tbody tr').length : -1; }, r.id);
    if (n !== r.n) problems.push(`table #${r.id} has ${n} rows, expected ${r.n}`);
  }
  if (screenshot) await tab.screenshot({ path: screenshot, fullPage: true });
  await context.close();
  console.log(`${page.file}: loaded and built in ${loadMs} ms; charts: ` +
              charts.map((c) => `${c.id} (${c.shapes} shapes)`).join(', '));
  for (const p of problems) console.log(`${page.file}: FAIL: ${p}`);
  return problems.length === 0;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  if (!options.pages.length) throw new Error('no page given');
  // The flags of a quiet, sandbox-free headless run (as root in CI); playwright-core adds --headless
  // and a fresh --user-data-dir of its own.
  const browser = await chromium.launch({
    executablePath: options.chromium,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync'],
  });
  let ok = true;
  try {
    for (const page of options.pages) ok = (await checkPage(browser, page, options.screenshots[page.file])) && ok;
  } finally {
    await browser.close();
  }
  console.log(ok ? 'check_pages: all pages passed' : 'check_pages: FAILED');
  process.exitCode = ok ? 0 : 1;
}

main().catch((e) => { console.error('check_pages: ' + (e && e.stack || e)); process.exitCode = 1; });
