import Foundation
import WickCore

/// A run's closed trades as CSV (`wick runs trades ID --csv FILE`), one trade a line in the
/// order they closed. The columns are the backtest JSON's trade keys a ledger holds, plus the
/// account:
///
///     symbol,side,entry_time,entry_price,exit_time,exit_price,qty,fees,pnl,r,exit_reason,partial,account
///     BTCUSDT,long,2024-01-01T00:05:00Z,100.5,2024-01-01T01:10:00Z,103,0.4,0.08,0.92,0.46,take,false,main
///
/// Times are ISO 8601 UTC; numbers in Swift's shortest round-trip form; `r` is empty for a trade
/// without a stop. Text fields with a comma, quote or line break are quoted (RFC 4180).
public enum TradeCSV {
  public static let header =
    "symbol,side,entry_time,entry_price,exit_time,exit_price,qty,fees,pnl,r,exit_reason,partial,account"

  public static func row(_ t: Trade, exitReason: String, account: String) -> String {
    [
      field(t.symbol), t.side.rawValue, UTCTime.iso(t.entryTime), number(t.entryPrice),
      UTCTime.iso(t.exitTime), number(t.exitPrice), number(t.qty), number(t.fees),
      number(t.pnl), t.r.map(number) ?? "", field(exitReason), t.partial ? "true" : "false",
      field(account),
    ].joined(separator: ",")
  }

  static func number(_ v: Double) -> String { v.isFinite ? "\(v)" : "" }

  static func field(_ s: String) -> String {
    guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else {
      return s
    }
    return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }
}
