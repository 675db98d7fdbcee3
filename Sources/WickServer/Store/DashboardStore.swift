import Foundation
import GRDB
import WickCore
import WickData

/// The dashboard's view of the ledger: read queries for the pages and the live stream, and the
/// one write it makes (queuing a row in `run_commands`). It opens the same SQLite file as the
/// runner and the backtests; WAL lets it read while another process writes.
///
///     let store = try DashboardStore(path: "data/wick.sqlite")
///     let runs = try store.runs(today: "2026-11-23")
public final class DashboardStore: Sendable {
  let database: DatabaseQueue
  /// The same file's candle cache: the price charts of the run and report pages read it.
  let candles: CandleStore
  public let path: String

  /// Opens the file, applying the candle and ledger migrations if it is new or older.
  public init(path: String) throws {
    let store = try CandleStore(path: path)
    _ = try Ledger(store: store)
    database = store.database
    candles = store
    self.path = path
  }

  func read<T>(_ body: (Database) throws -> T) throws -> T {
    do {
      return try database.read(body)
    } catch let e as WickError {
      throw e
    } catch {
      throw WickError.data("cannot read the ledger in \(path): \(CandleStore.describe(error))")
    }
  }

  func write<T>(_ body: (Database) throws -> T) throws -> T {
    do {
      return try database.write(body)
    } catch let e as WickError {
      throw e
    } catch {
      throw WickError.data("cannot write the ledger in \(path): \(CandleStore.describe(error))")
    }
  }
}

/// Milliseconds since the epoch, as every ledger time column stores it.
func nowMilliseconds() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

/// The UTC day of a time, as `daily_pnl.day` stores it ("2026-11-23").
func utcDay(_ ms: Int64) -> String { String(UTCTime.iso(ms).prefix(10)) }
