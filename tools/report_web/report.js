// report.html: a run's report.json (docs/report.md) as a page: summary, per-layer time and energy,
// roofline, power over time, job timeline, DDR bandwidth over time and the parameters.
'use strict';

const LEVELS = ['dram', 'buffer', 'array', 'rf', 'mac', 'other'];
const TIME_PARTS = [['engine_busy_ns', 'engine busy'], ['memory_stall_ns', 'memory stall'],
                    ['store_tail_ns', 'store tail'], ['other_ns', 'other']];

function appResult(report, name) {
  const r = ((report.app || {}).results || {})[name];
  return r ? r.value : undefined;
}

function config(report, key) {
  const entry = (report.configuration || {})[key];
  return entry ? entry.value : undefined;
}

function packages(report) {
  return ((report.accelerator || {}).packages || []);
}

// Per image over all packages, weighted by their images (as dlvp sweep's latency_ns).
function acceleratorLatencyNs(report) {
  let images = 0, time = 0;
  for (const p of packages(report)) {
    images += p.images || 0;
    time += (p.images || 0) * ((p.per_inference || {}).time_ns || 0);
  }
  return images > 0 ? time / images : undefined;
}

function summary(page, report) {
  const run = report.run || {};
  const energyUnit = (report.energy || {}).unit || 'pJ';
  page.appendChild(dlvp.el('h1', { text: 'dlvp run: ' + (report.scenario || '') }));
  const hw = config(report, 'hw');
  page.appendChild(dlvp.el('p', { class: 'sub', text:
    `${run.end_reason || ''}, exit status ${run.exit_status}; simulated ${dlvp.time(run.simulated_time_ns)} ` +
    `in ${dlvp.si(run.wall_time_s, 's')} wall time` + (hw ? `; hardware ${hw}` : '') }));

  dlvp.section(page, 'Summary', 'Latency: the accelerator\'s time per image (completed jobs / their images); ' +
    'throughput and accuracy as the software reported them; energy per inference: the whole run\'s energy ' +
    'per image when the software reports it, else the layers\' energy per image.');
  const cards = dlvp.el('div', { class: 'cards' });
  const latency = acceleratorLatencyNs(report) ?? appResult(report, 'latency_ns');
  cards.appendChild(dlvp.card('latency per image', dlvp.time(latency), 'fig-latency'));
  const throughput = appResult(report, 'throughput') ?? (latency ? 1e9 / latency : undefined);
  cards.appendChild(dlvp.card('throughput', Number.isFinite(throughput) ? dlvp.digits(throughput) + ' inferences/s' : '-',
                              'fig-throughput'));
  const accuracy = appResult(report, 'accuracy');
  if (accuracy !== undefined) cards.appendChild(dlvp.card('accuracy', dlvp.percent(accuracy), 'fig-accuracy'));
  const floatAccuracy = appResult(report, 'float_accuracy');
  if (floatAccuracy !== undefined) cards.appendChild(dlvp.card('float model accuracy', dlvp.percent(floatAccuracy), 'fig-float-accuracy'));
  const perImage = appResult(report, 'energy_per_inference') ??
                   (packages(report)[0] ? packages(report)[0].per_inference.layer_energy : undefined);
  cards.appendChild(dlvp.card('energy per inference', dlvp.energy(perImage, energyUnit), 'fig-energy-per-inference'));
  cards.appendChild(dlvp.card('energy of the run', dlvp.energy((report.energy || {}).total, energyUnit), 'fig-energy-total'));
  const power = report.power;
  if (power) {
    cards.appendChild(dlvp.card('average power', dlvp.power(power.average.total, power.unit), 'fig-power-average'));
    cards.appendChild(dlvp.card('peak power (' + dlvp.time(power.interval_ns) + ')', dlvp.power(power.peak.total, power.unit),
                                'fig-power-peak'));
  }
  page.appendChild(cards);

  const ddr = (report.modules || {})['soc.ddr'] || {};
  const configurationRows = [
    ['hardware', hw], ['DDR', config(report, 'ddr.preset')], ['DDR peak bandwidth', Number.isFinite(ddr.peak_bandwidth_GBps) ? dlvp.digits(ddr.peak_bandwidth_GBps) + ' GB/s' : undefined],
    ['CNN engine', config(report, 'cnn.pes') !== undefined ? `${config(report, 'cnn.pes')} PEs at ${config(report, 'cnn.clock_mhz')} MHz` : undefined],
    ['CPU', config(report, 'cpu.mode')], ['technology table', (report.energy || {}).technology_table],
  ].concat(packages(report).map((p) => ['package ' + p.name,
    `${p.jobs} jobs, batch ${p.batch_size}, ${p.images} images; ${p.precision}`]));
  page.appendChild(dlvp.el('h3', { text: 'Configuration' }));
  dlvp.table(page, 'configuration-summary', [{ label: 'item', value: (r) => r[0] }, { label: 'value', value: (r) => r[1] }],
             configurationRows.filter((r) => r[1] !== undefined && r[1] !== null));

  const cost = report.cost;
  if (cost && cost.figures) {
    page.appendChild(dlvp.el('h3', { text: 'Cost model' + (cost.device ? ' (' + cost.device.name + ')' : '') }));
    dlvp.table(page, 'cost', [
      { label: 'figure', value: (r) => r[0] },
      { label: 'value', value: (r) => r[1].value, text: (r) => dlvp.digits(r[1].value) + (r[1].unit ? ' ' + r[1].unit : ''), num: true },
      { label: 'meaning', value: (r) => r[1].description },
    ], Object.entries(cost.figures));
  }
  if (power) {
    page.appendChild(dlvp.el('h3', { text: 'Power by level (' + power.unit + ')' }));
    const rows = LEVELS.filter((l) => l in power.average.by_level)
      .map((l) => ({ level: l, average: power.average.by_level[l], peak: power.peak.by_level[l] }))
      .concat([{ level: 'total', average: power.average.total, peak: power.peak.total }]);
    dlvp.table(page, 'power-by-level', [
      { label: 'level', value: (r) => r.level },
      { label: 'average', value: (r) => r.average, text: (r) => dlvp.power(r.average, power.unit), num: true },
      { label: 'peak', value: (r) => r.peak, text: (r) => dlvp.power(r.peak, power.unit), num: true },
    ], rows);
    page.appendChild(dlvp.el('p', { class: 'note', text: power.peak_note || '' }));
  }
}

function layerLabel(layer) {
  return `${layer.tag}: ${layer.name || 'layer' + layer.tag}`;
}

function layerCharts(page, report) {
  const unit = (report.accelerator || {}).energy_unit || 'pJ';
  packages(report).forEach((p, index) => {
    const labels = p.layers.map(layerLabel);
    dlvp.section(page, `Layers of ${p.name}: time per image`,
      'Each layer\'s share of the job split into the engine busy, memory stall (the oldest transfer in flight is ' +
      'one of its loads), store tail and other (docs/report.md); the parts add up to the layer\'s time.');
    dlvp.chart(page, `layer-time-${index}`, {
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v) => dlvp.time(v) },
      legend: {},
      grid: { left: 70, right: 20, bottom: 120 },
      xAxis: { type: 'category', data: labels, axisLabel: { rotate: 35, interval: 0, width: 160, overflow: 'truncate' } },
      yAxis: { type: 'value', name: 'ns' },
      series: TIME_PARTS.map(([key, name]) => ({ name, type: 'bar', stack: 'time', data: p.layers.map((l) => l[key]) })),
    });
    dlvp.section(page, `Layers of ${p.name}: energy per image (${unit})`,
      'Left bar of each layer: energy by level; right bar: its static part (the layer\'s share of DRAM standby, ' +
      'refresh and leakage during the jobs) and its dynamic part. Both add up to the layer\'s energy.');
    dlvp.chart(page, `layer-energy-${index}`, {
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v) => dlvp.energy(v, unit) },
      legend: {},
      grid: { left: 80, right: 20, bottom: 120 },
      xAxis: { type: 'category', data: labels, axisLabel: { rotate: 35, interval: 0, width: 160, overflow: 'truncate' } },
      yAxis: { type: 'value', name: unit },
      series: LEVELS.map((level) => ({ name: level, type: 'bar', stack: 'level', data: p.layers.map((l) => (l.energy_by_level || {})[level] || 0) }))
        .concat([{ name: 'static', type: 'bar', stack: 'kind', itemStyle: { color: '#555' }, data: p.layers.map((l) => l.static_energy) },
                 { name: 'dynamic', type: 'bar', stack: 'kind', itemStyle: { color: '#bbb' }, data: p.layers.map((l) => l.dynamic_energy) }]),
    });
  });
}

function roofline(page, report) {
  const bandwidth = ((report.modules || {})['soc.ddr'] || {}).peak_bandwidth_GBps;
  const points = [];
  const peaks = new Map();  // engine -> peak GOPS
  for (const p of packages(report)) {
    for (const l of p.layers) {
      if (Number.isFinite(l.peak_GOPS)) peaks.set(l.engine, l.peak_GOPS);
      if (Number.isFinite(l.ops_per_dram_byte) && l.ops_per_dram_byte > 0 && l.GOPS > 0)
        points.push({ name: `${p.name} ${layerLabel(l)}`, value: [l.ops_per_dram_byte, l.GOPS], engine: l.engine, bound: l.bound });
    }
  }
  if (!points.length || !Number.isFinite(bandwidth)) return;
  dlvp.section(page, 'Roofline',
    `Each layer at its operational intensity (2 x MACs per DRAM byte) and achieved GOPS; the roofs of this ` +
    `configuration: each engine's peak and the DDR's peak bandwidth (${dlvp.digits(bandwidth)} GB/s).`);
  const xs = points.map((q) => q.value[0]);
  const xMin = Math.min(...xs, 1) / 4, xMax = Math.max(...xs, ...[...peaks.values()].map((g) => g / bandwidth)) * 4;
  const roofSeries = [...peaks.entries()].map(([engine, peak]) => {
    const knee = peak / bandwidth;
    const roof = [[xMin, Math.min(peak, xMin * bandwidth)]];
    if (knee > xMin && knee < xMax) roof.push([knee, peak]);
    roof.push([xMax, Math.min(peak, xMax * bandwidth)]);
    return { name: `${engine} roof (${dlvp.digits(peak)} GOPS)`, type: 'line', data: roof, symbol: 'none', lineStyle: { width: 2 } };
  });
  const engines = [...new Set(points.map((q) => q.engine))];
  dlvp.chart(page, 'roofline', {
    tooltip: { trigger: 'item', formatter: (i) => i.seriesType === 'scatter'
      ? `${i.data.name}<br>${dlvp.digits(i.data.value[0])} ops/B, ${dlvp.digits(i.data.value[1])} GOPS, bound: ${i.data.bound}`
      : i.seriesName },
    legend: {},
    grid: { left: 70, right: 30, bottom: 50 },
    xAxis: { type: 'log', name: 'ops per DRAM byte', nameLocation: 'middle', nameGap: 28, min: xMin, max: xMax,
             axisLabel: { formatter: (v) => dlvp.digits(v) } },
    yAxis: { type: 'log', name: 'GOPS', axisLabel: { formatter: (v) => dlvp.digits(v) } },
    series: roofSeries.concat(engines.map((engine) => ({
      name: `${engine} layers`, type: 'scatter', symbolSize: 9, data: points.filter((q) => q.engine === engine) }))),
  }, true);
}

// A series over time as step points in ms: each point's value from its span's start (the previous
// end, the first from 0), and a last point at the run's end, so the last span is drawn too and the
// area under the steps is the series' integral.
function stepPoints(endNs, values) {
  const points = endNs.map((end, i) => [i ? endNs[i - 1] / 1e6 : 0, values[i]]);
  if (endNs.length) points.push([endNs[endNs.length - 1] / 1e6, values[values.length - 1]]);
  return points;
}

function powerOverTime(page, report) {
  const power = report.power;
  if (!power || !power.series || !power.series.end_ns || !power.series.end_ns.length) return;
  const s = power.series;
  dlvp.section(page, `Power over time (${power.unit})`,
    `Per level, static + dynamic, averaged over each point's span (${dlvp.time(s.point_interval_ns)}; sampled every ` +
    `${dlvp.time(power.interval_ns)}). Average ${dlvp.power(power.average.total, power.unit)}, peak ` +
    `${dlvp.power(power.peak.total, power.unit)} (dashed lines).`);
  const levels = LEVELS.filter((l) => l in (s.dynamic_by_level || {}) || l in (s.static_by_level || {}));
  const at = (byLevel, level, i) => ((byLevel || {})[level] || [])[i] || 0;
  const series = levels.map((level) => ({
    name: level, type: 'line', stack: 'power', step: 'end', symbol: 'none', areaStyle: {}, lineStyle: { width: 0.5 },
    data: stepPoints(s.end_ns, s.end_ns.map((end, i) => at(s.static_by_level, level, i) + at(s.dynamic_by_level, level, i))),
  }));
  series[0].markLine = { symbol: 'none', lineStyle: { type: 'dashed', color: '#333' }, label: { formatter: '{b}' },
                         data: [{ name: 'average', yAxis: power.average.total }, { name: 'peak', yAxis: power.peak.total }] };
  dlvp.chart(page, 'power', {
    tooltip: { trigger: 'axis', valueFormatter: (v) => dlvp.power(v, power.unit) },
    legend: {},
    grid: { left: 70, right: 60, bottom: 50 },
    xAxis: { type: 'value', name: 'ms', nameLocation: 'middle', nameGap: 28, max: s.end_ns[s.end_ns.length - 1] / 1e6,
             axisLabel: { formatter: (v) => dlvp.digits(v) } },
    yAxis: { type: 'value', name: power.unit },
    dataZoom: [{ type: 'inside' }],
    series,
  });
}

// Layer names of the timeline: per job its package's (the layer table the job's program belongs
// to, `package` of the timeline's jobs), by tag; "package: layer" when the run has several.
function timelineLayerNames(report, t) {
  const byPackage = new Map(packages(report).map((p) => [p.name, new Map(p.layers.map((l) => [l.tag, l.name]))]));
  const packageOfJob = new Map(t.jobs.map((j) => [j.job, j.package]));
  const several = new Set(t.jobs.map((j) => j.package)).size > 1 || packages(report).length > 1;
  return (job, tag) => {
    const pkg = packageOfJob.get(job);
    const name = ((byPackage.get(pkg) || new Map()).get(tag)) || 'layer' + tag;
    return several && pkg !== undefined ? `${pkg}: ${name}` : name;
  };
}

function timeline(page, report) {
  const t = (report.accelerator || {}).timeline;
  if (!t || !t.instructions.length) return;
  const layerName = timelineLayerNames(report, t);
  const queues = ['load', 'compute', 'store'];
  const palette = ['#5470c6', '#91cc75', '#fac858', '#ee6666', '#73c0de', '#3ba272', '#fc8452', '#9a60b4', '#ea7ccc'];
  const first = Math.min(...t.instructions.map((i) => i.start_ns), ...t.jobs.map((j) => j.start_ns));
  dlvp.section(page, 'Job timeline',
    `What the IFU's load, compute and store queues executed, coloured by layer (named from each job's package), ` +
    `for the first ${t.instructions.length} instructions of the run (jobs ${t.jobs.map((j) => j.job).join(', ')}; ` +
    `${t.instructions_not_shown} more not shown, report.timeline_instructions); time from ${dlvp.time(first)}.`);
  const rows = ['jobs'].concat(queues);
  // One series per layer (the legend names them), in order of first appearance.
  const layers = new Map();
  for (const i of t.instructions) {
    const name = layerName(i.job, i.tag);
    if (!layers.has(name)) layers.set(name, []);
    layers.get(name).push({ value: [rows.indexOf(i.queue), (i.start_ns - first) / 1e3, (i.end_ns - first) / 1e3],
                            name: `${i.opcode}, ${name} (job ${i.job})` });
  }
  const jobs = t.jobs.map((j) => ({ value: [0, (j.start_ns - first) / 1e3, (j.end_ns - first) / 1e3],
                                    name: `job ${j.job}` + (j.package ? ` of ${j.package}` : '') + ` (${j.result})` }));
  // At first the first three jobs in view, or the shown instructions of a longer job; the slider
  // shows the rest.
  const lastEnd = Math.max(...t.instructions.map((i) => i.end_ns));
  const thirdJobEnd = t.jobs.length ? t.jobs[Math.min(t.jobs.length, 3) - 1].end_ns : lastEnd;
  const viewEnd = (Math.min(lastEnd, thirdJobEnd) - first) / 1e3;
  const renderItem = (params, api) => {
    const start = api.coord([api.value(1), api.value(0)]);
    const end = api.coord([api.value(2), api.value(0)]);
    const height = api.size([0, 1])[1] * 0.6;
    const shape = echarts.graphic.clipRectByRect(
      { x: start[0], y: start[1] - height / 2, width: Math.max(end[0] - start[0], 0.5), height },
      { x: params.coordSys.x, y: params.coordSys.y, width: params.coordSys.width, height: params.coordSys.height });
    return shape && { type: 'rect', shape, style: api.style() };
  };
  const series = [{ type: 'custom', name: 'jobs', encode: { x: [1, 2], y: 0 }, data: jobs, renderItem, itemStyle: { color: '#999' } }]
    .concat([...layers].map(([name, data], index) => ({
      type: 'custom', name, encode: { x: [1, 2], y: 0 }, data, renderItem, itemStyle: { color: palette[index % palette.length] } })));
  dlvp.chart(page, 'timeline', {
    tooltip: { formatter: (i) => `${i.data.name}<br>${dlvp.time(i.data.value[1] * 1e3)} .. ${dlvp.time(i.data.value[2] * 1e3)}` },
    legend: { data: [...layers.keys()] },
    grid: { left: 80, right: 30, top: 40, bottom: 60 },
    dataZoom: [{ type: 'slider', filterMode: 'weakFilter', startValue: 0, endValue: viewEnd },
               { type: 'inside', filterMode: 'weakFilter', startValue: 0, endValue: viewEnd }],
    xAxis: { type: 'value', name: 'us', nameLocation: 'middle', nameGap: 28, axisLabel: { formatter: (v) => dlvp.digits(v) } },
    yAxis: { type: 'category', data: rows, inverse: true },
    series,
  });
}

// The DDR's read and write bandwidth over the run (report.json `ddr_bandwidth`), on the power
// series' points, stacked: the top is the DDR's whole traffic, against its peak bandwidth.
function ddrBandwidth(page, report) {
  const ddr = report.ddr_bandwidth;
  if (!ddr || !ddr.series || !ddr.series.end_ns || !ddr.series.end_ns.length) return;
  const s = ddr.series;
  const peak = ((report.modules || {})['soc.ddr'] || {}).peak_bandwidth_GBps;
  dlvp.section(page, 'DDR bandwidth over time (GB/s)',
    `Bytes the DDR controller read and wrote, averaged over each point's span (${dlvp.time(s.point_interval_ns)}; ` +
    `sampled every ${dlvp.time(ddr.interval_ns)}), stacked; ${dlvp.digits(ddr.bytes_read)} B read, ` +
    `${dlvp.digits(ddr.bytes_written)} B written in the run` +
    (Number.isFinite(peak) ? `; the dashed line is the DDR's peak bandwidth, ${dlvp.digits(peak)} GB/s.` : '.'));
  const series = [['read', '#5470c6'], ['write', '#ee6666']].map(([key, color]) => ({
    name: key, type: 'line', stack: 'bandwidth', step: 'end', symbol: 'none', areaStyle: {}, itemStyle: { color },
    lineStyle: { width: 0.5 }, data: stepPoints(s.end_ns, s[key]),
  }));
  if (Number.isFinite(peak))
    series[0].markLine = { symbol: 'none', lineStyle: { type: 'dashed', color: '#333' }, label: { formatter: 'peak' },
                           data: [{ yAxis: peak }] };
  dlvp.chart(page, 'ddr-bandwidth', {
    tooltip: { trigger: 'axis', valueFormatter: (v) => dlvp.digits(v) + ' GB/s' },
    legend: {},
    grid: { left: 70, right: 60, bottom: 50 },
    xAxis: { type: 'value', name: 'ms', nameLocation: 'middle', nameGap: 28, max: s.end_ns[s.end_ns.length - 1] / 1e6,
             axisLabel: { formatter: (v) => dlvp.digits(v) } },
    yAxis: { type: 'value', name: 'GB/s' },
    dataZoom: [{ type: 'inside' }],
    series,
  });
}

function parameters(page, report) {
  const entries = Object.entries(report.configuration || {}).filter(([key, v]) => key !== 'files' && v && 'value' in v);
  dlvp.section(page, `Parameters (${entries.length})`, 'Every parameter of the run (dlvp params describes each).');
  const filter = dlvp.el('input', { type: 'search', placeholder: 'filter, e.g. ddr. or clock' });
  page.appendChild(dlvp.el('div', { class: 'controls' }, [filter]));
  const box = dlvp.el('div', { class: 'scroll' });
  page.appendChild(box);
  const table = dlvp.table(box, 'parameters', [
    { label: 'parameter', value: (r) => r[0] },
    { label: 'value', value: (r) => r[1].value, text: (r) => typeof r[1].value === 'string' ? r[1].value : JSON.stringify(r[1].value), num: true },
    { label: 'unit', value: (r) => r[1].unit },
  ], entries);
  filter.addEventListener('input', () => {
    for (const tr of table.querySelectorAll('tbody tr'))
      tr.style.display = tr.children[0].textContent.includes(filter.value) ? '' : 'none';
  });
  const files = (report.configuration || {}).files;
  if (files) page.appendChild(dlvp.el('pre', { text: Object.entries(files).map(([k, v]) => `${k}: ${v}`).join('\n') }));
}

dlvp.start('report', (page, report) => {
  summary(page, report);
  layerCharts(page, report);
  roofline(page, report);
  powerOverTime(page, report);
  timeline(page, report);
  ddrBandwidth(page, report);
  parameters(page, report);
});
