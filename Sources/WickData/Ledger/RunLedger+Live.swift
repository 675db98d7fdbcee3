import Foundation
import GRDB

/// What a live run recorded about the exchange, read back when it resumes: the fill of each
/// order by client order id, the positions the exchange closed, and the venue's refusals.
extension RunLedger {
  public struct RecordedFill: Sendable, Equatable {
    public var qty: Double
    public var price: Double
    public var fee: Double
    /// When the order's (last) fill was booked: the candle time a resting order filled at.
    public var time: Int64 = 0
  }

  /// Fills by client order id (several partial fills of one order are averaged; a single fill
  /// keeps its exact price: the average of one, `price * qty / qty`, can be off in the last bit,
  /// and a resumed run would then hold an entry a replay does not).
  public func recordedFills(run: Int64) throws -> [String: RecordedFill] {
    try database.read { db in
      var out: [String: RecordedFill] = [:]
      for row in try Row.fetchAll(
        db,
        sql: """
          SELECT o.client_order_id AS id, SUM(f.qty) AS qty,
                 CASE COUNT(*) WHEN 1 THEN MAX(f.price) ELSE SUM(f.price * f.qty) / SUM(f.qty) END AS price,
                 SUM(f.fee) AS fee, MAX(f.time) AS time
          FROM orders o JOIN fills f ON f.order_id = o.id
          WHERE o.run_id = ? GROUP BY o.id HAVING SUM(f.qty) > 0
          """, arguments: [run])
      {
        out[row["id"]] = RecordedFill(
          qty: row["qty"], price: row["price"], fee: row["fee"], time: row["time"])
      }
      return out
    }
  }

  public struct RecordedClose: Sendable, Equatable {
    public var symbol: String
    public var time: Int64
    public var price: Double
    public var fee: Double
    public var reason: String
    /// The trade's PnL as the run booked it (a replay finds the exact exit fee from it).
    public var pnl: Double?
  }

  /// Closed positions with their exit fill's fee (the exit order is the one filled at the close
  /// time on the closing side that is not an entry).
  public func recordedCloses(run: Int64) throws -> [RecordedClose] {
    try database.read { db in
      try Row.fetchAll(
        db,
        sql: """
          SELECT p.symbol AS symbol, p.closed_at AS time, p.exit_price AS price, p.exit_reason AS reason,
                 p.pnl AS pnl,
                 COALESCE((SELECT f.fee FROM fills f JOIN orders o ON o.id = f.order_id
                           WHERE o.run_id = p.run_id AND o.symbol = p.symbol AND f.time = p.closed_at
                             AND o.side = CASE p.side WHEN 'long' THEN 'sell' ELSE 'buy' END
                             AND o.client_order_id NOT LIKE '%-e'
                           ORDER BY f.id DESC LIMIT 1), 0) AS fee
          FROM positions p
          WHERE p.run_id = ? AND p.active = 0 AND p.closed_at IS NOT NULL
          ORDER BY p.closed_at, p.id
          """, arguments: [run]
      ).map {
        RecordedClose(
          symbol: $0["symbol"], time: $0["time"], price: $0["price"], fee: $0["fee"],
          reason: $0["reason"] ?? "signal", pnl: $0["pnl"])
      }
    }
  }

  /// Entry orders the venue refused, with the refusal's detail as recorded in the decisions.
  public func venueRefusals(run: Int64) throws -> [String: String] {
    try database.read { db in
      var out: [String: String] = [:]
      for row in try Row.fetchAll(
        db,
        sql: """
          SELECT o.client_order_id AS id,
                 (SELECT d.detail_json FROM decisions d
                  WHERE d.run_id = o.run_id AND d.symbol = o.symbol AND d.kind = 'refusal'
                    AND d.candle_time > o.created_at AND d.detail_json LIKE '%"at":"venue"%'
                  ORDER BY d.seq LIMIT 1) AS detail
          FROM orders o WHERE o.run_id = ? AND o.status = 'rejected'
          """, arguments: [run])
      {
        guard let json: String = row["detail"],
          let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
          let detail = object["detail"] as? String
        else { continue }
        out[row["id"]] = detail
      }
      return out
    }
  }
}
