// sweep.html: the results of `dlvp sweep` (docs/explore.md): a scatter of any two result columns
// with the Pareto front highlighted and a third column as colour, a sortable table of all points,
// and a point's configuration on click.
'use strict';

function numericColumns(data) {
  return data.columns.map((c) => c.name).filter((name) =>
    name !== 'point' && data.rows.some((r) => typeof r[name] === 'number'));
}

function selector(label, options, value) {
  const select = dlvp.el('select', { id: 'select-' + label });
  for (const o of options) select.appendChild(dlvp.el('option', o === value ? { value: o, selected: 'selected' } : { value: o }, o));
  return { label: dlvp.el('label', {}, [label + ' ', select]), select };
}

function pick(columns, wanted, fallback) {
  return wanted.find((c) => columns.includes(c)) ?? columns[fallback] ?? columns[0];
}

dlvp.start('sweep', (page, data) => {
  const file = data.sweep_file.split('/').pop();
  page.appendChild(dlvp.el('h1', { text: 'dlvp sweep: ' + file }));
  const counts = {};
  for (const r of data.rows) counts[r.status] = (counts[r.status] || 0) + 1;
  const objectives = data.objectives.map((o) => o.column + (o.maximize ? ' (max)' : ' (min)'));
  page.appendChild(dlvp.el('p', { class: 'sub', text:
    `${data.rows.length} of ${data.points_planned} points (` + Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(', ') +
    `); axes: ${data.axes.join(', ')}; objectives: ${objectives.join(', ') || 'none'}` +
    (data.constraints.length ? `; constraints: ${data.constraints.join(', ')}` : '') }));
  page.appendChild(dlvp.el('p', { class: 'note', text: `scenario ${data.scenario}` + (data.hardware ? `, hardware ${data.hardware}` : '') +
    (data.fixed.length ? `, fixed: ${data.fixed.join(' ')}` : '') }));

  const columns = numericColumns(data);
  const x = selector('x', columns, pick(columns, ['latency_ns'], 0));
  const y = selector('y', columns, pick(columns, ['energy_per_inference'], 1));
  const colour = selector('colour', columns, pick(columns, data.axes.concat(['throughput_per_s']), 2));
  dlvp.section(page, 'Points', 'Pareto front (the sweep\'s objectives, among points that are ok and meet the constraints): ' +
    'the larger outlined points. A click on a point shows its configuration.');
  page.appendChild(dlvp.el('div', { class: 'controls' }, [x.label, y.label, colour.label]));
  const chartBox = dlvp.el('div');
  page.appendChild(chartBox);

  dlvp.section(page, 'Configuration of the selected point');
  const details = dlvp.el('pre', { id: 'point-configuration', text: 'Click a point in the chart or a row of the table.' });
  page.appendChild(details);
  const show = (row) => {
    const lines = [`point ${row.point}: ${row.status}` + (row.error ? ` (${row.error})` : '')];
    lines.push('', 'dlvp run ' + data.scenario + ' ' + row.configuration.map((s) => '--set ' + s).join(' '), '');
    for (const c of data.columns) {
      if (c.name !== 'point' && row[c.name] !== null && row[c.name] !== '') lines.push(`${c.name} = ${row[c.name]}`);
    }
    details.textContent = lines.join('\n');
  };

  const chart = dlvp.chart(chartBox, 'scatter', {}, true);
  const draw = () => {
    const [cx, cy, cc] = [x.select.value, y.select.value, colour.select.value];
    const usable = data.rows.filter((r) => typeof r[cx] === 'number' && typeof r[cy] === 'number');
    const point = (r) => ({ value: [r[cx], r[cy], r[cc]], row: r });
    const values = usable.map((r) => r[cc]).filter((v) => typeof v === 'number');
    // The front is on all the sweep's objectives, so in two of them its points need not form a line.
    const front = usable.filter((r) => r.pareto === 1);
    chart.setOption({
      tooltip: { trigger: 'item', formatter: (i) => i.data.row
        ? `point ${i.data.row.point}<br>${cx} = ${dlvp.digits(i.data.value[0])}<br>${cy} = ${dlvp.digits(i.data.value[1])}<br>${cc} = ${i.data.value[2] ?? '-'}`
        : '' },
      legend: { top: 0, data: ['points', 'Pareto front'] },
      grid: { left: 90, right: 110, bottom: 60 },
      xAxis: { type: 'value', name: cx, nameLocation: 'middle', nameGap: 30, scale: true },
      yAxis: { type: 'value', name: cy, scale: true },
      visualMap: values.length ? { dimension: 2, min: Math.min(...values), max: Math.max(...values), calculable: true,
                                   right: 0, top: 'middle', text: [cc, ''], seriesIndex: [0, 1],
                                   inRange: { color: ['#313695', '#4575b4', '#74add1', '#fdae61', '#f46d43', '#a50026'] } } : undefined,
      series: [
        { name: 'points', type: 'scatter', symbolSize: 9, data: usable.filter((r) => r.pareto !== 1).map(point) },
        { name: 'Pareto front', type: 'scatter', symbolSize: 15, itemStyle: { borderColor: '#000', borderWidth: 2 },
          data: front.map(point), z: 3 },
      ],
    }, { replaceMerge: ['series', 'visualMap'] });
  };
  for (const s of [x, y, colour]) s.select.addEventListener('change', draw);
  chart.on('click', (i) => { if (i.data && i.data.row) show(i.data.row); });
  draw();

  dlvp.section(page, `All points (${data.rows.length})`, 'A click on a header sorts; a click on a row shows its configuration.');
  const box = dlvp.el('div', { class: 'scroll' });
  page.appendChild(box);
  dlvp.table(box, 'points', data.columns.map((c) => ({
    label: c.name, title: c.description, value: (r) => r[c.name],
    text: (r) => typeof r[c.name] === 'number' && !Number.isInteger(r[c.name]) ? dlvp.digits(r[c.name]) : String(r[c.name] ?? ''),
    num: columns.includes(c.name) || c.name === 'point',
  })), data.rows, show);
});
