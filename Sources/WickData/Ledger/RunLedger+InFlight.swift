import GRDB

/// Orders a run left in flight, and their resolution at a clean end (`--stop-after`, SIGTERM):
/// `submitting` means "in flight at a crash", so a session that ends cleanly resolves every one.
extension RunLedger {
  /// Client order ids and symbols of the run's `submitting` orders, oldest first.
  public func inFlightOrders(run: Int64) throws -> [(clientOrderID: String, symbol: String)] {
    try database.read { db in
      try Row.fetchAll(
        db,
        sql:
          "SELECT client_order_id, symbol FROM orders WHERE run_id = ? AND status = 'submitting' ORDER BY id",
        arguments: [run]
      ).map { ($0["client_order_id"], $0["symbol"]) }
    }
  }

  /// Sets a `submitting` order's status (a later fill still updates it as usual).
  public func resolveInFlight(run: Int64, clientOrderID: String, status: String) throws {
    try database.write { db in
      try db.execute(
        sql:
          "UPDATE orders SET status = ? WHERE run_id = ? AND client_order_id = ? AND status = 'submitting'",
        arguments: [status, run, clientOrderID])
    }
  }
}
