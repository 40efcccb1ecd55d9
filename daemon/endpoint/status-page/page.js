// The status page's script: follows GET /events (server-sent events) and draws what it says.
// Every value is written with textContent, never as HTML.
'use strict';

const $ = (id) => document.getElementById(id);
const requests = [];
const MAX_ROWS = 50;
const chartData = [[], [], []]; // seconds since the epoch, tokens/s, time to first token (s)
let chart = null;

function text(el, value) { el.textContent = value; }

function duration(s) {
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

/** Streams only (a JSON answer's "first token" is the whole answer), and not error answers. */
function answered(r) { return r.stream && (r.status < 400 || r.status === 499 || r.status === 529); }

function tokensPerSecond(r) {
  if (!answered(r) || r.outputTokens == null || r.ttftMs == null) return null;
  const genS = (r.durationMs - r.ttftMs) / 1000;
  return genS > 0 ? r.outputTokens / genS : null;
}

function showEngine(snap) {
  const e = snap.engine;
  const state = $('state');
  text(state, e.state);
  state.className = `state ${e.state}`;
  text($('model'), e.model ?? '—');
  text($('window'), `${e.contextWindow} tokens${e.contextShrunkFrom ? ` (shrunk from ${e.contextShrunkFrom})` : ''}`);
  text($('memory'), e.memory ? `${e.memory.activeGB.toFixed(1)} GB active, ${e.memory.peakGB.toFixed(1)} GB peak` : 'not reported');
  uptimeS = snap.daemon.uptimeS;
  text($('uptime'), duration(uptimeS));
  text($('restarts'), String(e.restarts));
  $('upstreams-row').hidden = !e.upstreams;
  if (e.upstreams) text($('upstreams'), e.upstreams.map((u) => `${u.url} ${u.healthy ? '✓' : '✗'}${u.latencyMs != null ? ` ${u.latencyMs} ms` : ''}`).join(' · '));
}

function addRequest(r) {
  requests.unshift(r);
  if (requests.length > MAX_ROWS) requests.pop();
  const tbody = $('requests').tBodies[0];
  const tr = document.createElement('tr');
  if (r.status >= 400 && r.status !== 499) tr.className = 'err';
  const tps = tokensPerSecond(r);
  const cells = [
    new Date(r.at).toLocaleTimeString(), r.session ? r.session.slice(0, 12) : '—', r.agent ? r.agent.slice(0, 12) : 'main',
    String(r.status), r.tooLong ? 'prompt too long' : (r.outcome ?? '—'),
    r.ttftMs == null || !answered(r) ? '—' : `${(r.ttftMs / 1000).toFixed(2)} s`, tps == null ? '—' : tps.toFixed(1), `${(r.durationMs / 1000).toFixed(2)} s`,
  ];
  for (const c of cells) { const td = document.createElement('td'); text(td, c); tr.appendChild(td); }
  tbody.insertBefore(tr, tbody.firstChild);
  while (tbody.rows.length > MAX_ROWS) tbody.deleteRow(-1);
  if (!answered(r)) return;
  // x is when it finished (records come in that order; uPlot needs x ascending).
  const x = (r.at + r.durationMs) / 1000;
  let i = chartData[0].length;
  while (i > 0 && chartData[0][i - 1] > x) i--;
  chartData[0].splice(i, 0, x);
  chartData[1].splice(i, 0, tps);
  chartData[2].splice(i, 0, r.ttftMs == null ? null : r.ttftMs / 1000);
  drawChart();
}

function showCrashes(list) {
  const ul = $('crashes');
  ul.replaceChildren();
  if (list.length === 0) { const li = document.createElement('li'); li.className = 'none'; text(li, 'none'); ul.appendChild(li); return; }
  for (const c of list.slice().reverse()) {
    const li = document.createElement('li');
    const how = c.signal ? ` (${c.signal})` : c.exitCode != null ? ` (exit ${c.exitCode})` : '';
    text(li, `${new Date(c.at).toLocaleString()} — ${c.model || 'the engine'}: ${c.reason}${how}; cclocald ${c.then ?? 'is deciding'}`);
    ul.appendChild(li);
  }
}

function drawChart() {
  if (typeof uPlot === 'undefined') return;
  const width = Math.max(320, $('chart').clientWidth || 640);
  if (!chart) {
    chart = new uPlot({
      width, height: 200,
      series: [{}, { label: 'tokens/s', stroke: '#2563eb', scale: 'tps' }, { label: 'first token (s)', stroke: '#b25e09', scale: 's' }],
      axes: [{}, { scale: 'tps', label: 'tokens/s' }, { scale: 's', side: 1, label: 's', grid: { show: false } }],
      scales: { x: { time: true } },
    }, chartData, $('chart'));
  } else {
    chart.setData(chartData);
  }
}

let uptimeS = 0;
setInterval(() => { if (uptimeS > 0) text($('uptime'), duration(++uptimeS)); }, 1000);

function connect() {
  const live = $('live');
  const es = new EventSource('/events');
  es.addEventListener('open', () => { text(live, 'live'); live.className = 'dot on'; });
  es.addEventListener('error', () => { text(live, 'reconnecting…'); live.className = 'dot off'; });
  es.addEventListener('snapshot', (m) => {
    const snap = JSON.parse(m.data);
    showEngine(snap);
    showCrashes(snap.crashes);
    if (requests.length === 0) for (const r of snap.requests) addRequest(r);
  });
  es.addEventListener('request', (m) => addRequest(JSON.parse(m.data)));
  // State changes come at once; the snapshot that follows each event brings the rest.
  es.addEventListener('daemon', (m) => {
    const e = JSON.parse(m.data);
    if (e.type !== 'state') return;
    const state = $('state');
    text(state, e.to);
    state.className = `state ${e.to}`;
    if (e.model) text($('model'), e.model);
  });
}

connect();
