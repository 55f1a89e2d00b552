// Shared by the HTML pages (docs/report.md, "HTML pages"): the page's data, number formatting,
// DOM and table helpers, and ECharts charts drawn with the SVG renderer. Each page kind's script
// (report.js, sweep.js, ...) calls these; window.dlvpPage lists its charts for the browser test.
'use strict';

window.dlvpPage = { kind: null, charts: {}, ready: false };

const dlvp = {
  // The page's data: the JSON that dlvp embedded in <script id="dlvp-data">.
  data() {
    return JSON.parse(document.getElementById('dlvp-data').textContent);
  },

  // A number with 4 significant digits and an SI prefix: si(1.734e-4, 's') = "173.4 us".
  si(value, unit) {
    if (value === null || value === undefined || !Number.isFinite(value)) return '-';
    if (value === 0) return '0 ' + unit;
    const prefixes = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k'], [1, ''], [1e-3, 'm'], [1e-6, 'u'],
                      [1e-9, 'n'], [1e-12, 'p'], [1e-15, 'f']];
    const magnitude = Math.abs(value);
    for (const [scale, prefix] of prefixes) {
      if (magnitude >= scale * 0.99995 || scale === 1e-15) return dlvp.digits(value / scale) + ' ' + prefix + unit;
    }
    return String(value);
  },
  // 4 significant digits, no exponent for ordinary magnitudes.
  digits(value) {
    if (!Number.isFinite(value)) return '-';
    const a = Math.abs(value);
    if (a !== 0 && (a >= 1e6 || a < 1e-3)) return value.toExponential(3);
    return Number(value.toPrecision(4)).toString();
  },
  // Time given in ns.
  time(ns) { return dlvp.si(ns === null || ns === undefined ? ns : ns * 1e-9, 's'); },
  // Energy in the report's unit: pJ (shown with an SI prefix of J), or a normalized unit as it is.
  energy(value, unit) {
    if (unit === 'pJ') return dlvp.si(value === null || value === undefined ? value : value * 1e-12, 'J');
    return dlvp.digits(value) + ' ' + unit;
  },
  power(value, unit) { return unit === 'W' ? dlvp.si(value, 'W') : dlvp.digits(value) + ' ' + unit; },
  percent(fraction) { return Number.isFinite(fraction) ? dlvp.digits(fraction * 100) + ' %' : '-'; },

  // el('div', {class: 'x'}, [children or text]).
  el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'text') node.textContent = v;
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    }
    for (const child of [].concat(children || [])) {
      node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    }
    return node;
  },
  section(parent, title, note) {
    parent.appendChild(dlvp.el('h2', { text: title }));
    if (note) parent.appendChild(dlvp.el('p', { class: 'note', text: note }));
  },
  // A figure card; `id` lets the browser test find the value.
  card(label, value, id) {
    return dlvp.el('div', { class: 'card' }, [dlvp.el('div', { class: 'label', text: label }),
                                               dlvp.el('div', { class: 'value', id: id, text: value })]);
  },

  // A chart: an ECharts instance with the SVG renderer in a new element of `parent`.
  chart(parent, id, option, tall) {
    const node = dlvp.el('div', { class: tall ? 'chart tall' : 'chart', id: id });
    parent.appendChild(node);
    const chart = echarts.init(node, null, { renderer: 'svg' });
    // Legends above the plot, clear of the axis names below it.
    if (option.legend) option.legend = Object.assign({ top: 0, type: 'scroll' }, option.legend);
    chart.setOption(Object.assign({ animation: false }, option));
    window.dlvpPage.charts[id] = chart;
    window.addEventListener('resize', () => chart.resize());
    return chart;
  },

  // A table: columns [{label, value(row) -> sortable raw value, text(row) -> shown text, num}], rows.
  // Sortable by a click on a header; onRowClick(row, tr) makes rows clickable.
  table(parent, id, columns, rows, onRowClick) {
    const table = dlvp.el('table', { id: id });
    const head = dlvp.el('tr');
    const body = dlvp.el('tbody');
    let sorted = { column: -1, ascending: true };
    const render = () => {
      body.textContent = '';
      for (const row of rows) {
        const tr = dlvp.el('tr', onRowClick ? { class: 'clickable' } : {});
        for (const c of columns) {
          const raw = c.value(row);
          const text = c.text ? c.text(row) : String(raw ?? '');
          const attrs = c.num ? { class: 'num' } : {};
          if (text.length > 40) attrs.title = text;  // a cell shows 320 px of it
          tr.appendChild(dlvp.el('td', attrs, text));
        }
        if (onRowClick) tr.addEventListener('click', () => {
          for (const other of body.querySelectorAll('tr.selected')) other.classList.remove('selected');
          tr.classList.add('selected');
          onRowClick(row, tr);
        });
        body.appendChild(tr);
      }
    };
    columns.forEach((c, i) => {
      const th = dlvp.el('th', { class: 'sortable', title: c.title || '', text: c.label });
      th.addEventListener('click', () => {
        sorted = { column: i, ascending: sorted.column === i ? !sorted.ascending : true };
        rows = rows.slice().sort((a, b) => dlvp.compare(c.value(a), c.value(b)) * (sorted.ascending ? 1 : -1));
        for (const other of head.children) other.classList.remove('sorted-asc', 'sorted-desc');
        th.classList.add(sorted.ascending ? 'sorted-asc' : 'sorted-desc');
        render();
      });
      head.appendChild(th);
    });
    table.appendChild(dlvp.el('thead', {}, head));
    table.appendChild(body);
    render();
    parent.appendChild(table);
    return table;
  },
  // Numbers before text, nulls last.
  compare(a, b) {
    const missing = (v) => v === null || v === undefined || v === '';
    if (missing(a) || missing(b)) return missing(a) - missing(b);
    if (typeof a === 'number' && typeof b === 'number') return a - b;
    return String(a).localeCompare(String(b), undefined, { numeric: true });
  },

  // Runs a page's builder; an exception is shown on the page and reported on the console.
  start(kind, build) {
    window.dlvpPage.kind = kind;
    const page = document.getElementById('page');
    try {
      build(page, dlvp.data());
      window.dlvpPage.ready = true;
    } catch (e) {
      page.appendChild(dlvp.el('p', { class: 'error', text: 'This page could not be built: ' + e }));
      console.error(e);
    }
  },
};
