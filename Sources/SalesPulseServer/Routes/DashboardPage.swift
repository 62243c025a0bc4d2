/// The live "war room" page: PHI and metrics by region (polled), flows, and alerts and step
/// changes as they happen (Server-Sent Events).
enum DashboardPage {
    static let html = """
    <!doctype html>
    <html lang="en"><head><meta charset="utf-8"><title>SalesPulse — war room</title>
    <style>
    body{font-family:system-ui,sans-serif;margin:0;background:#0f172a;color:#e2e8f0}
    header{padding:12px 20px;background:#1e293b;display:flex;gap:24px;align-items:baseline}
    h1{font-size:20px;margin:0} .big{font-size:32px;font-weight:700}
    main{display:grid;grid-template-columns:1fr 1fr;gap:16px;padding:16px}
    section{background:#1e293b;border-radius:8px;padding:12px;overflow:auto;max-height:44vh}
    table{width:100%;border-collapse:collapse;font-size:13px} td,th{padding:3px 6px;text-align:left;border-bottom:1px solid #334155}
    .red{color:#f87171}.green{color:#4ade80} #log div{font-size:12px;font-family:monospace;white-space:nowrap}
    </style></head><body>
    <header><h1>SalesPulse</h1><div>PHI <span id="phi" class="big">–</span></div>
    <div>compliance <span id="compliance">–</span></div><div>freshness <span id="freshness">–</span></div>
    <div>effectiveness <span id="effectiveness">–</span></div><div>open alerts <span id="open">–</span></div><div id="at"></div></header>
    <main>
    <section><h3>By region</h3><table id="regions"></table></section>
    <section><h3>Open alerts</h3><table id="alerts"></table></section>
    <section><h3>Flow: <select id="flow"></select></h3><table id="steps"></table></section>
    <section><h3>Live (SSE)</h3><div id="log"></div></section>
    </main>
    <script>
    const pct = v => v == null ? '–' : (100*v).toFixed(1) + '%';
    async function j(u){ const r = await fetch(u); return r.json(); }
    async function refresh(){
      const [regional, overall] = await Promise.all([j('/v1/metrics?by=region'), j('/v1/metrics')]);
      const phi = overall.values.phi.overall; document.getElementById('phi').textContent = phi == null ? '–' : phi.toFixed(1);
      document.getElementById('phi').className = 'big ' + (phi != null && phi < 90 ? 'red' : 'green');
      for (const n of ['compliance','freshness','effectiveness']) document.getElementById(n).textContent = pct(overall.values[n].overall);
      document.getElementById('at').textContent = 'as of ' + overall.at;
      const v = regional.values, regions = Object.keys(regional.customers).sort();
      document.getElementById('regions').innerHTML = '<tr><th>region</th><th>PHI</th><th>compliance</th><th>freshness</th><th>effectiveness</th><th>customers</th></tr>' +
        regions.map(r => `<tr><td>${r}</td><td>${v.phi[r]==null?'–':v.phi[r].toFixed(1)}</td><td>${pct(v.compliance[r])}</td><td>${pct(v.freshness[r])}</td><td>${pct(v.effectiveness[r])}</td><td>${regional.customers[r]}</td></tr>`).join('');
      const answer = await fetch('/v1/alerts?state=open&limit=60'); const alerts = await answer.json();
      document.getElementById('open').textContent = answer.headers.get('SalesPulse-Total-Count');
      document.getElementById('alerts').innerHTML = '<tr><th>rule</th><th>customer</th><th>step</th><th>since</th><th>to</th></tr>' +
        alerts.map(a => `<tr><td>${a.rule}</td><td><a style="color:#93c5fd" href="/v1/customers/${a.customer}">${a.customer}</a></td><td>${a.step||''}</td><td>${a.since}</td><td>${a.supervisor||''}</td></tr>`).join('');
      const sel = document.getElementById('flow');
      if (sel.value) { const f = await j('/v1/flows/'+sel.value);
        document.getElementById('steps').innerHTML = '<tr><th>step</th><th>customers</th><th>stuck</th><th>blocked</th><th>dwell p50 h</th><th>p90 h</th></tr>' +
          f.steps.map(s => `<tr><td>${s.name}</td><td>${s.customers}</td><td class="${s.stuck?'red':''}">${s.stuck}</td><td>${s.blocked}</td><td>${s.dwellHoursP50==null?'–':s.dwellHoursP50.toFixed(1)}</td><td>${s.dwellHoursP90==null?'–':s.dwellHoursP90.toFixed(1)}</td></tr>`).join(''); }
    }
    (async () => {
      const flows = ['academic','delivery','compliance','home_decoration','industrial','lead_pipeline'];
      document.getElementById('flow').innerHTML = flows.map(f => `<option>${f}</option>`).join('');
      document.getElementById('flow').onchange = refresh;
      refresh(); setInterval(refresh, 2000);
      const log = document.getElementById('log');
      const es = new EventSource('/v1/stream?topics=alerts,steps');
      const add = (cls, text) => { const d = document.createElement('div'); d.className = cls; d.textContent = text; log.prepend(d); while (log.childNodes.length > 200) log.lastChild.remove(); };
      es.addEventListener('alerts', e => { const a = JSON.parse(e.data); add(a.state=='fired'?'red':'green', `${a.state} ${a.rule} ${a.customer} ${a.reason}`); });
      es.addEventListener('steps', e => { const s = JSON.parse(e.data); add('', `${s.customer} ${s.flow}: ${s.from||'∅'} → ${s.to}`); });
    })();
    </script></body></html>
    """
}
