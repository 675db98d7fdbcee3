import ArgumentParser
import Foundation
import WickCore
import WickData
import WickReport
import WickServer

/// Opens the ledger at `db` for reading one run: a missing file is an error, not a new ledger.
/// Throws a clear error for an id the ledger does not hold.
private func loadRun(_ id: Int64, db: String) throws -> RunDetail {
  guard FileManager.default.fileExists(atPath: db) else {
    throw WickError.data("no ledger at \(db) (pass the runs' database with --db)")
  }
  guard let detail = try DashboardStore(path: db).run(id) else {
    throw WickError.data("no run \(id) in \(db) (wick runs ls --db \(db) lists the runs)")
  }
  return detail
}

/// `wick runs show ID`: the run's summary and the backtest's metrics computed from its ledger.
public struct RunsShow: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "show",
    abstract: "One run's summary and metrics (the backtest's keys), with its open positions.",
    discussion: """
      Paper and live runs' metrics are computed from the ledger (closed trades, equity at each \
      handled candle) by the same code as a backtest's, so a run and its backtest compare key by \
      key; a saved backtest shows the metrics stored with it. --json prints the run, its open \
      positions (unrealised pnl at the last price the ledger has) and "metrics" with the keys of \
      `wick backtest --json`.
      """)
  @Argument(help: "The run's id (wick runs ls).") var id: Int64
  @Option(help: "Candle cache and ledger (SQLite).") var db: String = CandleStore.defaultPath
  @Flag(help: "Print JSON instead of the summary.") var json = false
  public init() {}

  public func run() throws {
    try reportingErrors {
      let d = try loadRun(id, db: db)
      guard let p = d.performance else { return }
      print(json ? Self.json(d, p) : Self.text(d, p))
    }
  }

  static func text(_ d: RunDetail, _ p: RunPerformance) -> String {
    let s = d.summary
    var lines = [
      "run \(s.id)  \(s.kind)  \(s.status)\(s.exchange.map { "  " + $0 } ?? "")"
        + (d.error.map { "  error: " + $0 } ?? "")
    ]
    lines.append(SummaryTable.render(p.result, metrics: p.metrics))
    lines.append("")
    lines.append(
      "closed trades: \(p.trades.count) (wick runs trades \(s.id) --csv FILE exports them)")
    lines.append("open positions: \(d.openPositions.count)")
    for o in d.openPositions {
      let mark = d.marks[o.symbol]
      lines.append(
        "  \(o.symbol) \(o.side) \(fmt(o.qty)) @ \(fmt(o.entry))"
          + (o.stop.map { " stop \(fmt($0))" } ?? "")
          + (mark.map {
            String(format: "  unrealised %+.2f at %@", o.unrealised(at: $0), fmt($0))
          } ?? "  unrealised — (no price yet)"))
    }
    if !p.stored {
      lines.append(
        "metrics from the ledger: equity at each handled candle, trades net of fees (spread, slippage and funding per trade are not stored)"
      )
    }
    return lines.joined(separator: "\n")
  }

  static func json(_ d: RunDetail, _ p: RunPerformance) -> String {
    let s = d.summary
    func num(_ v: Double?) -> String { v.map { $0.isFinite ? "\($0)" : "null" } ?? "null" }
    func time(_ t: Int64?) -> String { t.map { JSONText.quoted(UTCTime.iso($0)) } ?? "null" }
    let open = d.openPositions.map { o -> String in
      let mark = d.marks[o.symbol]
      return
        "{\"symbol\": \(JSONText.quoted(o.symbol)), \"side\": \(JSONText.quoted(o.side)), \"qty\": \(num(o.qty)), \"entry\": \(num(o.entry)), \"stop\": \(num(o.stop)), \"take\": \(num(o.take)), \"opened_at\": \(time(o.openedAt)), \"mark\": \(num(mark)), \"unrealised_pnl\": \(num(mark.map(o.unrealised(at:))))}"
    }
    return """
      {"id": \(s.id), "kind": \(JSONText.quoted(s.kind)), "status": \(JSONText.quoted(s.status)), \
      "strategy": \(JSONText.quoted(s.strategy)), \
      "symbols": [\(p.result.symbols.map(JSONText.quoted).joined(separator: ", "))], \
      "timeframe": \(JSONText.quoted(s.timeframe)), "exchange": \(s.exchange.map(JSONText.quoted) ?? "null"), \
      "first_time": \(time(p.result.firstTime)), "last_time": \(time(p.result.lastTime)), \
      "initial_equity": \(num(p.result.initialEquity)), "equity": \(num(s.equity)), \
      "error": \(d.error.map(JSONText.quoted) ?? "null"), \
      "metrics_source": \(p.stored ? "\"saved\"" : "\"ledger\""), "closed_trades": \(p.trades.count), \
      "open_positions": [\(open.joined(separator: ", "))], \
      "metrics": \(ResultJSON.metrics(p.metrics))}
      """
  }

  private static func fmt(_ v: Double) -> String { String(format: "%.8g", v) }
}

/// `wick runs trades ID`: every closed trade of the run, as a table or (--csv) a CSV file.
public struct RunsTrades: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "trades",
    abstract: "A run's complete closed-trade history (a table, or CSV with --csv).",
    discussion: """
      Every closed trade in the order it closed, partial exits included. CSV columns: \
      \(TradeCSV.header) (times ISO 8601 UTC; pnl net of fees; r empty without a stop).
      """)
  @Argument(help: "The run's id (wick runs ls).") var id: Int64
  @Option(help: "Candle cache and ledger (SQLite).") var db: String = CandleStore.defaultPath
  @Option(help: "Write the trades to this CSV file (\"-\": standard output).") var csv: String?
  public init() {}

  public func run() throws {
    try reportingErrors {
      let d = try loadRun(id, db: db)
      let trades = d.performance?.trades ?? []
      if let csv {
        let text =
          ([TradeCSV.header]
          + trades.map { TradeCSV.row($0.trade, exitReason: $0.exitReason, account: $0.account) })
          .joined(separator: "\n") + "\n"
        if csv == "-" {
          print(text, terminator: "")
        } else {
          try OutputFile.write(text, to: csv, durable: false)
          print(
            "wrote \(trades.count) closed trade\(trades.count == 1 ? "" : "s") of run \(id) to \(csv)"
          )
        }
        return
      }
      guard !trades.isEmpty else {
        print("run \(id) has no closed trades")
        return
      }
      print(Self.table(trades))
    }
  }

  static func table(_ trades: [ClosedTrade]) -> String {
    let header = [
      "exit", "symbol", "side", "qty", "entry time", "entry", "exit price", "pnl", "R", "fees",
      "reason",
    ]
    let rows = trades.map { c -> [String] in
      let t = c.trade
      return [
        UTCTime.iso(t.exitTime), t.symbol, t.side.rawValue + (t.partial ? " (part)" : ""),
        String(format: "%.8g", t.qty), UTCTime.iso(t.entryTime),
        String(format: "%.8g", t.entryPrice),
        String(format: "%.8g", t.exitPrice), String(format: "%+.2f", t.pnl),
        t.r.map { String(format: "%.2f", $0) } ?? "-", String(format: "%.2f", t.fees), c.exitReason,
      ]
    }
    let widths = header.indices.map { i in ([header] + rows).map { $0[i].count }.max() ?? 0 }
    return ([header] + rows).map { r in
      r.indices.map { r[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
        .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
    }.joined(separator: "\n")
  }
}
