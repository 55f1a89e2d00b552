// diff.html: `dlvp diff RUN_A RUN_B --html` (docs/report.md, "Comparing two runs"): the diff's JSON
// as a page: configuration differences, the headline figures side by side, energy per inference and
// power per level, every figure, and the per-layer deltas as bars, largest first.
'use strict';

const DIFF_LEVELS = ['dram', 'buffer', 'array', 'rf', 'mac', 'other'];
// Layer bars per chart: the largest changes; the table below has every layer.
const MAX_LAYER_BARS = 25;

// A figure's value as the page shows it: times, energies and powers with SI prefixes, the rest as
// numbers with their unit.
function shown(value, unit) {
  if (value === null || value === undefined) return '-';
  if (unit === 'ns') return dlvp.time(value);
  if (unit === 'pJ') return dlvp.energy(value, unit);
  if (unit === 'W') return dlvp.power(value, unit);
  return dlvp.digits(value) + (unit ? ' ' + unit : '');
}

function relative(f) {
  return f.relative === null || f.relative === undefined ? '' : dlvp.percent(f.relative);
}

function figureNamed(diff, name) {
  return diff.figures.find((f) => f.name === name);
}

function heading(page, diff) {
  page.appendChild(dlvp.el('h1', { text: 'dlvp diff' }));
  page.appendChild(dlvp.el('p', { class: 'sub', text: `A: ${diff.run_a}` }));
  page.appendChild(dlvp.el('p', { class: 'sub', text: `B: ${diff.run_b}` }));
}

// The headline figures as cards: B's value and its change from A.
function headline(page, diff) {
  const wanted = diff.figures.filter((f) => / (latency per image|throughput)$/.test(f.name) ||
    ['app: accuracy', 'app: energy_per_inference', 'energy (run)', 'average power', 'peak power'].includes(f.name));
  if (!wanted.length) return;
  dlvp.section(page, 'Headline', 'B\'s value, then A\'s and the change from A to B.');
  const cards = dlvp.el('div', { class: 'cards' });
  for (const f of wanted) {
    const value = f.unit === '' && f.name === 'app: accuracy' ? dlvp.percent(f.b) : shown(f.b, f.unit);
    const card = dlvp.card(f.name, value);
    const was = f.unit === '' && f.name === 'app: accuracy' ? dlvp.percent(f.a) : shown(f.a, f.unit);
    card.appendChild(dlvp.el('div', { class: 'label', text: `A: ${was}` + (f.same ? ', the same' : relative(f) ? `, ${relative(f)}` : '') }));
    cards.appendChild(card);
  }
  page.appendChild(cards);
}

function configuration(page, diff) {
  dlvp.section(page, `Configuration: ${diff.configuration.length} difference(s)`,
    'Every parameter (and file the configuration names) whose value differs; "-": the run has none.');
  const text = (v) => v === null || v === undefined ? '-' : typeof v === 'string' ? v : JSON.stringify(v);
  dlvp.table(page, 'configuration', [
    { label: 'parameter', value: (r) => r.parameter },
    { label: 'A', value: (r) => text(r.a) },
    { label: 'B', value: (r) => text(r.b) },
    { label: 'unit', value: (r) => r.unit },
  ], diff.configuration);
}

// Energy per inference per level, A and B side by side, each stacked static + dynamic.
function energyByLevel(page, diff) {
  const value = (level, part, run) => (figureNamed(diff, `energy per inference: ${level} ${part}`) || {})[run] ?? null;
  if (!DIFF_LEVELS.some((l) => value(l, 'static', 'a') !== null || value(l, 'static', 'b') !== null)) return;
  const unit = diff.energy_unit;
  dlvp.section(page, `Energy per inference by level (${unit})`,
    'The run\'s energy per level over the images of its packages (the CPU and the time between jobs included); ' +
    'left bar of a level A, right bar B, each static (dark) + dynamic (light).');
  const series = [];
  for (const [run, name] of [['a', 'A'], ['b', 'B']]) {
    for (const [part, shade] of [['static', run === 'a' ? '#2f4b8f' : '#8f3a2f'], ['dynamic', run === 'a' ? '#8fa8e0' : '#e0a08f']]) {
      series.push({ name: `${name} ${part}`, type: 'bar', stack: run, itemStyle: { color: shade },
                    data: DIFF_LEVELS.map((l) => value(l, part, run)) });
    }
  }
  dlvp.chart(page, 'energy-by-level', {
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v) => dlvp.energy(v, unit) },
    legend: {},
    grid: { left: 80, right: 20, bottom: 40 },
    xAxis: { type: 'category', data: DIFF_LEVELS },
    yAxis: { type: 'value', name: unit },
    series,
  });
}

// Average and peak power per level and in total, A beside B.
function powerByLevel(page, diff) {
  const any = figureNamed(diff, 'average power') || figureNamed(diff, 'peak power');
  if (!any) return;
  const unit = any.unit;
  const categories = DIFF_LEVELS.concat(['total']);
  const value = (kind, level, run) =>
    (figureNamed(diff, level === 'total' ? `${kind} power` : `${kind} power: ${level}`) || {})[run] ?? null;
  dlvp.section(page, `Power by level (${unit})`, 'Average and peak power (the highest average over one ' +
    'report.power_interval_ns span), A beside B.');
  dlvp.chart(page, 'power-by-level', {
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v) => dlvp.power(v, unit) },
    legend: {},
    grid: { left: 80, right: 20, bottom: 40 },
    xAxis: { type: 'category', data: categories },
    yAxis: { type: 'value', name: unit },
    series: [['average', 'a', 'A average', '#5470c6'], ['average', 'b', 'B average', '#ee6666'],
             ['peak', 'a', 'A peak', '#9fb3e6'], ['peak', 'b', 'B peak', '#f4aaaa']].map(([kind, run, name, color]) =>
      ({ name, type: 'bar', itemStyle: { color }, data: categories.map((l) => value(kind, l, run)) })),
  });
}

// The relative change of every figure that differs (not the cost model's or the per-level ones:
// those have their own charts and table), as bars.
function relativeChanges(page, diff) {
  const perLevel = ['cost: ', 'energy per inference: ', 'average power: ', 'peak power: '];
  const figures = diff.figures.filter((f) => !f.same && f.relative !== null && !perLevel.some((p) => f.name.startsWith(p)));
  if (!figures.length) return;
  dlvp.section(page, 'Relative change from A to B', '(B - A) / |A| of the figures that differ (the table below has them all).');
  const rows = figures.slice().reverse();
  const chart = dlvp.chart(page, 'relative-change', {
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v) => dlvp.digits(v) + ' %' },
    grid: { left: 300, right: 40, bottom: 40 },
    xAxis: { type: 'value', name: '%', axisLabel: { formatter: (v) => dlvp.digits(v) } },
    yAxis: { type: 'category', data: rows.map((f) => f.name), axisLabel: { width: 280, overflow: 'truncate' } },
    series: [{ name: 'change', type: 'bar', data: rows.map((f) => ({ value: f.relative * 100,
                                                                      itemStyle: { color: f.relative > 0 ? '#ee6666' : '#5470c6' } })) }],
  });
  chart.getDom().style.height = Math.max(240, 60 + 22 * rows.length) + 'px';
  chart.resize();
}

// Every figure: A, B, B - A and the change; the ones equal in both runs greyed, hidden on request.
function figureTable(page, diff) {
  dlvp.section(page, `Figures (${diff.figures.length})`, 'Every figure of both runs (equal to a relative 1e-12: ' +
    '"same", greyed).');
  const toggle = dlvp.el('input', { type: 'checkbox', id: 'show-same', checked: 'checked' });
  page.appendChild(dlvp.el('div', { class: 'controls' }, [dlvp.el('label', {}, [toggle, ' show the figures that are the same'])]));
  const cell = (i, key, text) => dlvp.el('td', { class: 'num', id: `fig-${i}-${key}` }, text);
  const table = dlvp.el('table', { id: 'figures' });
  table.appendChild(dlvp.el('thead', {}, dlvp.el('tr', {}, ['figure', 'A', 'B', 'B - A', 'change'].map((h) => dlvp.el('th', { text: h })))));
  const body = dlvp.el('tbody');
  diff.figures.forEach((f, i) => {
    body.appendChild(dlvp.el('tr', f.same ? { class: 'same' } : {}, [
      dlvp.el('td', { text: f.name }), cell(i, 'a', shown(f.a, f.unit)), cell(i, 'b', shown(f.b, f.unit)),
      cell(i, 'delta', shown(f.delta, f.unit)), cell(i, 'relative', f.same ? 'same' : relative(f))]));
  });
  table.appendChild(body);
  page.appendChild(table);
  toggle.addEventListener('change', () => {
    for (const tr of body.querySelectorAll('tr.same')) tr.style.display = toggle.checked ? '' : 'none';
  });
}

// Per layer: one bar chart per figure (time, energy, DRAM bytes) of B - A, the largest |B - A|
// first, then the table of every layer in the diff's order (its `change`).
function layers(page, diff) {
  if (!diff.layers.length) return;
  const label = (l) => `${l.package} / ${l.layer}`;
  for (const [key, title, unit, format] of [
    ['time_ns', 'time', 'ns', dlvp.time], ['energy', 'energy', diff.energy_unit, (v) => dlvp.energy(v, diff.energy_unit)],
    ['dram_bytes', 'DRAM bytes', 'B', (v) => dlvp.digits(v) + ' B']]) {
    const rows = diff.layers.filter((l) => l[key].delta !== null && l[key].delta !== 0)
      .sort((x, y) => Math.abs(y[key].delta) - Math.abs(x[key].delta)).slice(0, MAX_LAYER_BARS);
    if (!rows.length) {
      dlvp.section(page, `Layers: ${title} per image, B - A (${unit})`, `No layer's ${title} changed.`);
      continue;
    }
    dlvp.section(page, `Layers: ${title} per image, B - A (${unit})`,
      `The ${rows.length} largest changes of ${diff.layers.length} layers, largest first (red: B more, blue: B less).`);
    const shownRows = rows.slice().reverse();  // the category axis draws from the bottom
    const chart = dlvp.chart(page, `layer-delta-${key}`, {
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: format },
      grid: { left: 260, right: 40, bottom: 40 },
      xAxis: { type: 'value', name: unit, axisLabel: { formatter: (v) => dlvp.digits(v) } },
      yAxis: { type: 'category', data: shownRows.map(label), axisLabel: { width: 240, overflow: 'truncate' } },
      series: [{ name: 'B - A', type: 'bar', data: shownRows.map((l) => ({
        value: l[key].delta, itemStyle: { color: l[key].delta > 0 ? '#ee6666' : '#5470c6' } })) }],
    });
    chart.getDom().style.height = Math.max(240, 60 + 22 * shownRows.length) + 'px';
    chart.resize();
  }
  dlvp.section(page, `Layers (${diff.layers.length})`, 'Per image, matched by package and layer name; largest ' +
    'change first (change: the largest |B - A| as a share of the package\'s total).');
  const box = dlvp.el('div', { class: 'scroll' });
  page.appendChild(box);
  const table = dlvp.el('table', { id: 'layers' });
  const figureColumns = [['time_ns', 'time', 'ns'], ['energy', 'energy', diff.energy_unit], ['dram_bytes', 'DRAM', 'B']];
  const head = ['package / layer'];
  for (const [, title] of figureColumns) head.push(`${title} A`, `${title} B`, '');
  head.push('change');
  table.appendChild(dlvp.el('thead', {}, dlvp.el('tr', {}, head.map((h) => dlvp.el('th', { text: h })))));
  const body = dlvp.el('tbody');
  diff.layers.forEach((l, i) => {
    const cells = [dlvp.el('td', { text: label(l), title: label(l) })];
    for (const [key, , unit] of figureColumns) {
      cells.push(dlvp.el('td', { class: 'num', id: `layer-${i}-${key}-a` }, shown(l[key].a, unit)),
                 dlvp.el('td', { class: 'num', id: `layer-${i}-${key}-b` }, shown(l[key].b, unit)),
                 dlvp.el('td', { class: 'num' }, relative(l[key])));
    }
    cells.push(dlvp.el('td', { class: 'num' }, dlvp.percent(l.change)));
    body.appendChild(dlvp.el('tr', {}, cells));
  });
  table.appendChild(body);
  box.appendChild(table);
}

function onlyInOne(page, diff) {
  for (const [key, run] of [['only_in_a', 'A'], ['only_in_b', 'B']]) {
    if (!diff[key].length) continue;
    dlvp.section(page, `Only in ${run} (${diff[key].length})`, 'Packages, and layers of a package in both runs, the other run lacks.');
    page.appendChild(dlvp.el('ul', { id: key }, diff[key].map((x) => dlvp.el('li', { text: x }))));
  }
}

dlvp.start('diff', (page, diff) => {
  heading(page, diff);
  headline(page, diff);
  configuration(page, diff);
  energyByLevel(page, diff);
  powerByLevel(page, diff);
  relativeChanges(page, diff);
  figureTable(page, diff);
  layers(page, diff);
  onlyInOne(page, diff);
});
