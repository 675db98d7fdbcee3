import Foundation
import WickCore
import WickLua
import WickReport

/// A run's page and the fragments the live stream replaces or prepends. Every fragment has one
/// renderer, used both for the first page and for the updates, so the two cannot drift apart.
enum RunPage {
  static func render(
    _ d: RunDetail, session: PageSession, params: ParamChoices, cursor: LiveCursor,
    message: String? = nil, chart: String = ""
  ) -> String {
    let s = d.summary
    var body = """
      <section class="head">
      <h1>Run \(s.id) · \(HTML.text(s.strategy))</h1>
      <div class="muted">\(HTML.text(s.kind)) · \(HTML.text(s.symbols)) · \(HTML.text(s.timeframe))\(s.exchange.map { " · " + HTML.text($0) } ?? "")</div>
      <div id="run-status">\(status(d))</div>
      </section>

      """
    if let message { body += HTML.notice(message, error: true) }
    // The interactive price chart (as of the page's load; reload for newer candles).
    if !chart.isEmpty { body += "<section><h2>Price</h2>\n\(chart)</section>\n" }
    body += """
      <div class="columns"><div>
      <section><h2>Positions</h2><div id="positions">\(positions(d))</div></section>
      <section><h2>Equity</h2><div id="equity-chart" class="chart">\(charts(d.equity))</div></section>
      </div><div>
      <div id="command-result" role="status" aria-live="polite"></div>
      <div id="controls">\(controls(d, session: session, params: params))</div>
      <section><h2>Risk</h2><div id="risk">\(risk(d))</div></section>
      </div></div>
      <section><h2>Performance</h2><div id="performance">\(performance(d))</div></section>
      <section><h2>Closed trades</h2>\(closedTrades(d))</section>
      <section><h2>Recent signals</h2>
      <div class="scroll"><table><thead><tr><th>candle</th><th>kind</th><th>symbol</th><th class="l">detail</th></tr></thead>
      <tbody id="signals">\(d.signals.map(decisionRow).joined())</tbody></table></div></section>
      <section><h2>Refusals</h2>
      <div class="scroll"><table><thead><tr><th>candle</th><th>kind</th><th>symbol</th><th class="l">why</th></tr></thead>
      <tbody id="refusals">\(d.refusals.map(decisionRow).joined())</tbody></table></div></section>
      <section><h2>Fills</h2>
      <div class="scroll"><table><thead><tr><th>time</th><th>symbol</th><th>side</th><th>type</th><th>qty</th><th>price</th><th>fee</th></tr></thead>
      <tbody id="fills">\(d.fills.map(fillRow).joined())</tbody></table></div></section>
      <section><h2>Incidents</h2>
      <div class="scroll"><table><thead><tr><th>time</th><th>kind</th><th>account</th><th class="l">detail</th></tr></thead>
      <tbody id="incidents">\(d.incidents.map(eventRow).joined())</tbody></table></div></section>
      <section><h2>Governor events</h2>
      <div class="scroll"><table><thead><tr><th>time</th><th>kind</th><th>account</th><th class="l">detail</th></tr></thead>
      <tbody id="governor">\(d.governorEvents.map(eventRow).joined())</tbody></table></div></section>
      <section><h2>Script and params in force</h2><div id="script">\(script(d))</div></section>
      <section><h2>Commands</h2><div id="commands">\(commands(d))</div></section>

      """
    if s.kind == "backtest" {
      body += "<p><a href=\"/runs/\(s.id)/report\">Backtest report</a></p>\n"
    }
    body += "<div id=\"live\" data-stream=\"/runs/\(s.id)/events?after=\(cursor.text)\"></div>\n"
    return HTML.page(title: "Run \(s.id)", body: body, session: session)
  }

  static func status(_ d: RunDetail) -> String {
    let s = d.summary
    var out = "<div class=\"stats\">"
    out += stat("status", HTML.badge(s.status))
    out += stat("equity", HTML.money(s.equity))
    out += stat(
      "today's PnL",
      s.todayPnl.map { "<b class=\"\(HTML.tone($0))\">\(HTML.signedMoney($0))</b>" } ?? "—")
    out += stat("open positions", String(s.openPositions))
    out += stat("last candle", HTML.time(d.lastCandleTime))
    out += stat("heartbeat", HTML.time(s.heartbeatAt))
    return out + "</div>"
  }

  private static func stat(_ label: String, _ value: String) -> String {
    "<div class=\"stat\"><span>\(HTML.text(label))</span><b>\(value)</b></div>"
  }

  static func charts(_ series: [(time: Int64, value: Double)]) -> String {
    var peak = -Double.infinity
    let drawdown = series.map { p -> (time: Int64, value: Double) in
      peak = max(peak, p.value)
      return (p.time, peak > 0 ? (p.value - peak) / peak * 100 : 0)
    }
    // A paper run's first days: hours and minutes say more than the same date five times.
    let span = (series.last?.time ?? 0) - (series.first?.time ?? 0)
    let intraday = span < 2 * 86_400_000
    let timeFormat: @Sendable (Int64) -> String = { t in
      let iso = UTCTime.iso(t)
      return intraday ? String(iso.dropFirst(11).prefix(5)) : String(iso.prefix(10))
    }
    // Cents when the curve moves by less than a few units (a fresh paper run).
    let values = series.map(\.value)
    let spread = (values.max() ?? 0) - (values.min() ?? 0)
    let decimals = spread < 20 ? "%.2f" : "%.0f"
    var equity = SVGChart(width: 640, height: 220, valueFormat: { String(format: decimals, $0) })
    equity.timeFormat = timeFormat
    var dd = SVGChart(
      width: 640, height: 140, stroke: "#b91c1c", fill: "#fee2e2",
      valueFormat: { String(format: "%.2f%%", $0) })
    dd.timeFormat = timeFormat
    return equity.render(series, title: "Equity") + "<h3>Drawdown (%)</h3>"
      + dd.render(drawdown, title: "Drawdown")
  }

  /// Open positions as cards (a table's stop column would scroll off a phone's screen).
  static func positions(_ d: RunDetail) -> String {
    guard !d.openPositions.isEmpty else { return "<p class=\"muted\">No open positions.</p>" }
    var out = "<div class=\"cards\">"
    for p in d.openPositions {
      out += """
        <div class="position"><div><b>\(HTML.text(p.symbol))</b> <span class="\(p.side == "long" ? "pos" : "neg")">\(HTML.text(p.side))</span> \(HTML.qty(p.qty)) @ \(HTML.price(p.entry))</div>\
        <div>stop <b class="stop">\(HTML.price(p.stop))</b> · take <b>\(HTML.price(p.take))</b></div>\
        \(unrealised(p, mark: d.marks[p.symbol]))\
        <div class="muted small">opened \(HTML.time(p.openedAt)) · \(HTML.text(p.account))</div></div>
        """
    }
    return out + "</div>"
  }

  /// The open position's PnL at the last price the ledger has (before exit fees).
  static func unrealised(_ p: PositionRow, mark: Double?) -> String {
    guard let mark else { return "<div class=\"muted\">unrealised — (no price yet)</div>" }
    let pnl = p.unrealised(at: mark)
    return
      "<div>unrealised <b class=\"unrealised \(HTML.tone(pnl))\">\(HTML.signedMoney(pnl))</b> <span class=\"muted\">at \(HTML.price(mark))</span></div>"
  }

  /// The run's metrics, with the backtest's keys and labels (computed from the ledger for a
  /// paper or live run, as stored for a saved backtest).
  static func performance(_ d: RunDetail) -> String {
    guard let p = d.performance else { return "" }
    var out = "<div class=\"stats\">"
    for row in p.metrics.displayRows { out += stat(row.label, HTML.text(row.value)) }
    out += "</div>"
    out +=
      p.stored
      ? "<p class=\"muted small\">As computed when the backtest was saved.</p>"
      : "<p class=\"muted small\">From the ledger: equity at each handled candle, trades net of fees; the same formulas and keys as a backtest's (<code>wick runs show \(d.summary.id) --json</code>).</p>"
    return out
  }

  /// How many closed trades the page lists (newest first); `wick runs trades` exports them all.
  static let closedTradeLimit = 200

  static func closedTrades(_ d: RunDetail) -> String {
    let trades = d.performance?.trades ?? []
    guard !trades.isEmpty else { return "<p class=\"muted\">No closed trades yet.</p>" }
    let shown = trades.suffix(closedTradeLimit).reversed()
    var out =
      trades.count > shown.count
      ? "<p class=\"muted\">\(trades.count) closed trades; the last \(shown.count) shown (all: <code>wick runs trades \(d.summary.id) --csv FILE</code>).</p>"
      : "<p class=\"muted\">\(trades.count) closed trade\(trades.count == 1 ? "" : "s").</p>"
    out += """
      <div class="scroll"><table id="closed-trades"><thead><tr><th>exit</th><th>symbol</th><th>side</th><th>qty</th><th>entry time</th><th>entry</th><th>exit price</th><th>pnl</th><th>R</th><th>fees</th><th>reason</th></tr></thead><tbody>
      """
    for c in shown {
      let t = c.trade
      out += """
        <tr><td>\(HTML.time(t.exitTime))</td><td>\(HTML.text(t.symbol))</td><td>\(HTML.text(t.side.rawValue))\(t.partial ? " <small>(part)</small>" : "")</td>\
        <td>\(HTML.qty(t.qty))</td><td>\(HTML.time(t.entryTime))</td><td>\(HTML.price(t.entryPrice))</td><td>\(HTML.price(t.exitPrice))</td>\
        <td class="\(HTML.tone(t.pnl))">\(HTML.signedMoney(t.pnl))</td><td>\(t.r.map { String(format: "%.2f", $0) } ?? "—")</td>\
        <td>\(HTML.money(t.fees))</td><td>\(HTML.text(c.exitReason))</td></tr>

        """
    }
    return out + "</tbody></table></div>"
  }

  /// Daily loss used, size decay, kill and halt flags: from the accounts table, today's PnL and
  /// what the runner committed in `state_json`.
  static func risk(_ d: RunDetail) -> String {
    let state = RiskSnapshot(stateJSON: d.stateJSON)
    var out = "<div class=\"stats\">"
    let limit = state.dailyLossLimit
    let used =
      limit.map {
        $0 > 0 ? String(format: "%.0f%% of %@", d.todayLoss / $0 * 100, HTML.money($0)) : ""
      }
      ?? ""
    out += stat(
      "daily loss used", HTML.money(d.todayLoss) + (used.isEmpty ? "" : " <small>(\(used))</small>")
    )
    out += stat(
      "halted", d.summary.status == "halted" || state.halted ? "<b class=\"neg\">yes</b>" : "no")
    let killed = d.accounts.filter { state.kill(of: $0) != nil }.count
    out += stat("killed accounts", killed > 0 ? "<b class=\"neg\">\(killed)</b>" : "0")
    out += "</div>"
    if let error = state.strategyError {
      out += HTML.notice("The strategy is halted: \(error)", error: true)
    }
    if !d.accounts.isEmpty {
      out += """
        <div class="scroll"><table><thead><tr><th class="l">account</th><th>symbol</th><th>allocation</th><th>size decay</th><th>loss used</th><th>killed</th></tr></thead><tbody>
        """
      for a in d.accounts {
        let s = state.accounts[a.name]
        out += """
          <tr><td class="l">\(HTML.text(a.name))</td><td>\(HTML.text(a.symbol))</td><td>\(HTML.money(a.allocation))</td><td>\(s?.decayFactor.map { "×" + String(format: "%.2f", $0) } ?? "—")</td><td>\(s?.dailyLossUsed.map(HTML.money) ?? "—")</td><td>\(state.kill(of: a).map { "<b class=\"neg\">killed</b>" + ($0.isEmpty ? "" : " " + HTML.text($0)) } ?? "no")</td></tr>
          """
      }
      out += "</tbody></table></div>"
    }
    return out
  }

  static func script(_ d: RunDetail) -> String {
    var out = "<p class=\"small\">"
    if let path = d.scriptPath { out += "script <code>\(HTML.text(path))</code> · " }
    if let v = d.scriptVersion {
      out +=
        "version <code>\(HTML.text(String(v.scriptHash.prefix(12))))</code> since \(HTML.time(v.time)) (\(HTML.text(v.source)))"
    } else {
      out += "as started"
    }
    out +=
      "</p><p id=\"params-in-force\">\(HTML.text(HTML.compactJSON(d.scriptVersion?.paramsJSON ?? d.paramsJSON, limit: 1000)))</p>"
    return out
  }

  /// Commands as a list, newest first, each with its outcome in full (a table's last column
  /// would be off a phone's screen).
  static func commands(_ d: RunDetail) -> String {
    guard !d.commands.isEmpty else { return "<p class=\"muted\">No commands yet.</p>" }
    var out = "<ul class=\"commands\">"
    for c in d.commands {
      let payload = c.payloadJSON == "{}" ? "" : " " + HTML.compactJSON(c.payloadJSON, limit: 80)
      out += """
        <li class="command" data-kind="\(HTML.attr(c.kind))" data-status="\(HTML.attr(c.status))">\
        <div><b>#\(c.id) \(HTML.text(c.kind + payload))</b> \(HTML.badge(c.status))</div>\
        <div>\(HTML.text(c.outcome ?? "waiting for the runner"))</div>\
        <div class="muted small">\(HTML.time(c.createdAt)) from \(HTML.text(c.source))\(c.handledAt.map { " · handled " + HTML.time($0) } ?? "")</div></li>
        """
    }
    return out + "</ul>"
  }

  static func decisionRow(_ r: DecisionRow) -> String {
    """
    <tr data-seq="\(r.seq)"><td>\(HTML.time(r.candleTime))</td><td>\(HTML.text(r.kind))</td><td>\(HTML.text(r.symbol ?? ""))</td><td class="l">\(HTML.text(HTML.compactJSON(r.detailJSON)))</td></tr>
    """
  }

  static func fillRow(_ f: FillRow) -> String {
    """
    <tr><td>\(HTML.time(f.time))</td><td>\(HTML.text(f.symbol))</td><td>\(HTML.text(f.side))</td><td>\(HTML.text(f.type))</td><td>\(HTML.qty(f.qty))</td><td>\(HTML.price(f.price))</td><td>\(HTML.money(f.fee))</td></tr>
    """
  }

  static func eventRow(_ e: EventRow) -> String {
    """
    <tr><td>\(HTML.time(e.time))</td><td>\(HTML.text(e.kind))</td><td>\(HTML.text(e.account ?? ""))</td><td class="l">\(HTML.text(e.detail))</td></tr>
    """
  }

  /// Emergency stop (two taps), pause/resume, a reset per killed account and the parameter
  /// form, for runs that are running or paused and a visitor who unlocked the controls.
  static func controls(_ d: RunDetail, session: PageSession, params: ParamChoices) -> String {
    let s = d.summary
    guard s.isActive else {
      return
        "<p class=\"muted\">Controls apply to running or paused runs; this one is \(HTML.text(s.status)).</p>"
    }
    switch session.access {
    case .readOnly:
      return
        "<p class=\"muted\">Read-only: set <code>[dashboard] token</code> in wick.toml or WICK_DASHBOARD_TOKEN to enable the controls.</p>"
    case .locked:
      return "<p class=\"notice\">Enter the dashboard token above to use the controls.</p>"
    case .unlocked: break
    case .unknown: return ""
    }
    let action = "/runs/\(s.id)/commands"
    let csrf = "<input type=\"hidden\" name=\"csrf\" value=\"\(HTML.attr(session.csrf))\">"
    var out = """
      <section class="controls"><h2>Controls</h2>
      <form class="cmd stopbar" method="post" action="\(action)">\(csrf)<input type="hidden" name="kind" value="emergency_stop">
      <button type="button" class="danger" data-arm>Emergency stop</button>
      <span class="confirm-row" hidden><button type="submit" class="danger">Confirm</button> <button type="button" data-disarm>Cancel</button></span>
      <small class="muted">flattens every position and halts the run</small>
      </form>
      <form class="cmd inline" method="post" action="\(action)">\(csrf)
      <input type="hidden" name="kind" value="\(s.status == "paused" ? "resume" : "pause")">
      <button type="submit">\(s.status == "paused" ? "Resume" : "Pause")</button>
      </form>

      """
    // A killed account trades again only when the user resets it, saying why.
    let state = RiskSnapshot(stateJSON: d.stateJSON)
    for a in d.accounts where state.kill(of: a) != nil {
      out += """
        <form class="cmd reset" method="post" action="\(action)">\(csrf)<input type="hidden" name="kind" value="reset_account"><input type="hidden" name="account" value="\(HTML.attr(a.name))">
        <label>Why may \(HTML.text(a.name)) trade again? <input name="reason" autocomplete="off" required></label>
        <button type="submit">Reset account \(HTML.text(a.name))</button>
        </form>

        """
    }
    switch params {
    case .unavailable(let why):
      out += "<p class=\"muted\">Parameters cannot be changed here: \(HTML.text(why))</p>"
    case .specs(let specs, let current):
      let numeric = specs.filter { if case .list = $0.kind { return false } else { return true } }
      out += """
        <form class="cmd params" method="post" action="\(action)">\(csrf)<input type="hidden" name="kind" value="set_param">
        <label>Parameter <select name="name">
        """
      for p in numeric {
        out +=
          "<option value=\"\(HTML.attr(p.name))\">\(HTML.text(p.name)) (\(HTML.text(ParamChoices.describe(p, current: current[p.name]))))</option>"
      }
      out += """
        </select></label>
        <label>Value <input name="value" inputmode="decimal" autocomplete="off" required></label>
        <button type="submit">Change parameter</button>
        </form>
        """
    }
    return out + "</section>\n"
  }
}

/// The risk figures a runner commits in `state_json`, read leniently: any object with an
/// `account` (or `name`) and `decay_factor` / `daily_loss_used` / `killed`, at any depth, and the
/// flags `halted` and `daily_loss_limit` (or `max_daily_loss`) anywhere.
struct RiskSnapshot {
  struct Account {
    var decayFactor: Double?, dailyLossUsed: Double?, killed: Bool?
    var killReason: String? = nil
  }
  var accounts: [String: Account] = [:]
  var halted = false
  var dailyLossLimit: Double?
  /// The runner's `strategy_error`: the script failed and the strategy is halted.
  var strategyError: String?

  /// Whether account `a` is killed, with the reason ("" when none is known), or nil: the one
  /// answer the "killed accounts" count and the account table both show. A runner's state (its
  /// risk engine now, a reset included) wins; without one, the accounts row (a saved backtest's
  /// accounts as they ended).
  func kill(of a: AccountRow) -> String? {
    if let s = accounts[a.name], let killed = s.killed {
      return killed ? (s.killReason ?? a.killReason ?? "") : nil
    }
    return a.killed ? (a.killReason ?? "") : nil
  }

  init(stateJSON: String?) {
    guard let value = JSONValue.parse(stateJSON) else { return }
    visit(value)
  }

  private mutating func visit(_ v: JSONValue) {
    switch v {
    case .array(let items): items.forEach { visit($0) }
    case .object(let fields):
      for (k, x) in fields {
        if k == "halted", case .bool(true) = x { halted = true }
        if k == "strategy_error", case .string(let message) = x { strategyError = message }
        if k == "daily_loss_limit" || k == "max_daily_loss", let n = x.number, n > 0 {
          dailyLossLimit = n
        }
      }
      let name: String? = {
        if case .string(let s) = v["account"] ?? v["name"] ?? .null { return s }
        return nil
      }()
      if let name, v["decay_factor"] != nil || v["daily_loss_used"] != nil || v["killed"] != nil {
        var killed: Bool? = nil
        if case .bool(let b) = v["killed"] ?? .null { killed = b }
        var reason: String? = nil
        if case .string(let r) = v["kill_reason"] ?? .null { reason = r }
        accounts[name] = Account(
          decayFactor: v["decay_factor"]?.number ?? v["size_decay"]?.number,
          dailyLossUsed: v["daily_loss_used"]?.number, killed: killed, killReason: reason)
      }
      fields.forEach { visit($0.value) }
    default: break
    }
  }
}
