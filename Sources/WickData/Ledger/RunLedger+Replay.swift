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
