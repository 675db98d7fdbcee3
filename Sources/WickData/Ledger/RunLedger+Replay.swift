import Foundation
import GRDB

/// What `wick replay` of a live run reads besides the decisions: each position's protective
/// levels as it opened (the exchange's rounded stop, a pair leg's derived stop).
extension RunLedger {
  public struct RecordedOpen: Sendable, Equatable {
    public var symbol: String
    public var time: Int64
    public var stop: Double?
    public var take: Double?
  }

  /// Every position the run opened, in order.
  public func recordedOpens(run: Int64) throws -> [RecordedOpen] {
    try database.read { db in
      try Row.fetchAll(
        db,
        sql: "SELECT symbol, opened_at, stop, take FROM positions WHERE run_id = ? ORDER BY id",
        arguments: [run]
      ).map {
        RecordedOpen(
          symbol: $0["symbol"], time: $0["opened_at"], stop: $0["stop"], take: $0["take"])
      }
    }
  }
}

extension RunLedger {
  /// The run's incidents of `kind`, oldest first (a resume and `wick replay` read the
  /// `candle_missing` ones back).
  public func incidents(run: Int64, kind: String) throws -> [Event] {
    try database.read { db in
      try Row.fetchAll(
        db,
        sql:
          "SELECT time, kind, account, detail FROM incidents WHERE run_id = ? AND kind = ? ORDER BY rowid",
        arguments: [run, kind]
      ).map {
        Event(time: $0["time"], kind: $0["kind"], account: $0["account"], detail: $0["detail"])
      }
    }
  }
}
