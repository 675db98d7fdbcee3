/// The dashboard's stylesheet and script, served from `/assets/` by Wick itself: no CDN, no
/// external fonts or scripts. Phone first: one column at 390 px, tables scroll inside their own
/// box (never the page), and the emergency stop sits in a bar at the bottom of the screen.
enum Assets {
  static let css = """
    *{box-sizing:border-box}
    html{-webkit-text-size-adjust:100%}
    body{font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#111827;background:#f9fafb;overflow-x:hidden}
    header.top{display:flex;flex-wrap:wrap;gap:8px 14px;align-items:center;padding:10px 14px;background:#111827;color:#f9fafb}
    header.top a{color:#f9fafb;text-decoration:none} .brand{font-weight:700;font-size:17px}
    header nav a{margin-right:10px}
    form.login{display:flex;gap:6px;align-items:center;flex-wrap:wrap;margin-left:auto}
    form.login input{width:11em;max-width:50vw}
    main{max-width:1200px;margin:0 auto;padding:12px 14px 96px}
    h1{font-size:20px;margin:6px 0 2px} h2{font-size:16px;margin:22px 0 8px;border-bottom:1px solid #e5e7eb;padding-bottom:4px} h3{font-size:13px;color:#6b7280;margin:8px 0 4px}
    section{min-width:0}
    .muted{color:#6b7280} .small{font-size:12px} .pos{color:#047857} .neg{color:#b91c1c}
    .stats{display:grid;grid-template-columns:repeat(auto-fill,minmax(140px,1fr));gap:8px;margin:8px 0}
    .stat{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:6px 10px;min-width:0}
    .stat span{display:block;color:#6b7280;font-size:12px} .stat b{font-size:16px;overflow-wrap:anywhere}
    .badge{display:inline-block;padding:1px 8px;border-radius:999px;font-size:12px;background:#e5e7eb;color:#111827}
    .s-running,.s-done{background:#d1fae5;color:#065f46} .s-paused,.s-pending{background:#fef3c7;color:#92400e}
    .s-halted,.s-failed,.s-rejected{background:#fee2e2;color:#991b1b}
    .scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;max-width:100%;background:#fff;border:1px solid #e5e7eb;border-radius:8px}
    table{border-collapse:collapse;width:100%;font-size:13px}
    th,td{padding:6px 8px;border-bottom:1px solid #f3f4f6;text-align:right;white-space:nowrap}
    td.l,th.l{text-align:left;white-space:normal;min-width:8em} th{background:#f9fafb;font-weight:600}
    th a{color:inherit} tr.winner td{background:#ecfdf5;font-weight:600}
    .chart{max-width:860px}
    .cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:8px}
    ul.commands{list-style:none;margin:0;padding:0;display:grid;gap:6px}
    ul.commands li{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:6px 12px;overflow-wrap:anywhere}
    .position{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:8px 12px}
    svg{display:block;max-width:100%;height:auto;background:#fff;border-radius:8px} .tick{font-size:11px;fill:#6b7280}
    code{font-size:12px;overflow-wrap:anywhere}
    .notice{background:#eff6ff;border:1px solid #bfdbfe;border-radius:8px;padding:8px 10px}
    .notice.err{background:#fef2f2;border-color:#fecaca;color:#991b1b}
    button,input,select{font:inherit;min-height:40px;border-radius:8px;border:1px solid #d1d5db;padding:6px 12px;background:#fff;color:#111827;max-width:100%}
    button{cursor:pointer;background:#f3f4f6}
    button.danger{background:#b91c1c;border-color:#991b1b;color:#fff;font-weight:700}
    .controls form{margin:8px 0} form.inline{display:inline-block}
    form.params{display:flex;flex-wrap:wrap;gap:8px;align-items:flex-end}
    form.params label{display:flex;flex-direction:column;font-size:12px;color:#6b7280;min-width:0;flex:1 1 10em}
    form.params select,form.params input{width:100%}
    .stopbar{position:fixed;left:0;right:0;bottom:0;margin:0!important;padding:10px 14px calc(10px + env(safe-area-inset-bottom));background:#fff;border-top:1px solid #e5e7eb;display:flex;flex-wrap:wrap;gap:8px;align-items:center;z-index:10;box-shadow:0 -2px 8px rgba(0,0,0,.06)}
    .stopbar button.danger{min-height:48px;padding:8px 18px}
    .stopbar small{flex-basis:100%}
    #command-result:empty{display:none}
    #command-result{margin:8px 0}
    @media (min-width:1100px){
      .columns{display:grid;grid-template-columns:minmax(0,3fr) minmax(340px,2fr);gap:24px;align-items:start}
    }
    @media (min-width:900px){
      .stopbar{position:static;border:1px solid #fecaca;border-radius:8px;box-shadow:none;background:#fef2f2}
      main{padding-bottom:24px}
      .stopbar small{flex-basis:auto}
    }
    """

  /// Arms and confirms the emergency stop, sends the control forms without leaving the page,
  /// and applies the live stream's patches.
  static let js = """
    "use strict";
    document.addEventListener("click", function (e) {
      var arm = e.target.closest("[data-arm]"), disarm = e.target.closest("[data-disarm]");
      if (arm) {
        var form = arm.form; arm.hidden = true;
        form.querySelector(".confirm-row").hidden = false;
        form.querySelector("button[type=submit]").focus();
      } else if (disarm) {
        var f = disarm.form; f.querySelector(".confirm-row").hidden = true;
        f.querySelector("[data-arm]").hidden = false;
      }
    });
    document.addEventListener("submit", function (e) {
      var form = e.target;
      if (!form.classList.contains("cmd")) return;
      e.preventDefault();
      var out = document.getElementById("command-result");
      var body = new URLSearchParams(new FormData(form));
      fetch(form.action, {method: "POST", body: body, credentials: "same-origin",
                          headers: {"Accept": "application/json"}})
        .then(function (r) { return r.json().then(function (j) { return {status: r.status, json: j}; }); })
        .then(function (res) {
          out.className = "notice" + (res.status >= 400 ? " err" : "");
          out.textContent = res.json.message;
          if (res.json.commands) document.getElementById("commands").innerHTML = res.json.commands;
          var row = form.querySelector(".confirm-row");
          if (row) { row.hidden = true; form.querySelector("[data-arm]").hidden = false; }
        })
        .catch(function (err) { out.className = "notice err"; out.textContent = "Not sent: " + err; });
    });
    (function () {
      var live = document.getElementById("live");
      if (!live || !window.EventSource) return;
      var source = new EventSource(live.dataset.stream);
      function apply(ev) {
        var data = JSON.parse(ev.data);
        data.patches.forEach(function (p) {
          var el = document.getElementById(p.target);
          if (!el) return;
          if (p.mode === "prepend") {
            el.insertAdjacentHTML("afterbegin", p.html);
            while (el.children.length > 200) el.removeChild(el.lastElementChild);
          } else {
            el.innerHTML = p.html;
          }
        });
        live.dataset.last = ev.type;
      }
      ["decision", "fill", "equity", "incident", "governor", "state"].forEach(function (name) {
        source.addEventListener(name, apply);
      });
    })();
    """
}
