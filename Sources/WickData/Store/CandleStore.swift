import Foundation
import GRDB
import WickCore

/// The candle cache: one SQLite file (WAL mode) holding candles keyed by
/// (exchange, symbol, timeframe, open time) and funding rates keyed by (exchange, symbol, time).
///
///     let store = try CandleStore(path: "./wick.sqlite")
///     try store.write(candles, series: SeriesKey(symbol: "BTCUSDT", timeframe: .oneMinute), replace: false)
///     let cursor = try store.cursor(series: key)
///     while let c = try cursor.next() { … }
///
/// Writes go through GRDB's serialized queue; reads on the hot path (`cursor`) use their own
/// read-only SQLite connection on a prefetch thread, so a long backtest never blocks a writer.
public final class CandleStore: CandleSink, FundingSink, @unchecked Sendable {
  /// The default cache file, relative to the working directory.
  public static let defaultPath = "./wick.sqlite"

  /// The path this store was opened at, as given.
  public let path: String

  /// The underlying GRDB connection. Other modules may add their own tables with `migrate(_:)`.
  public let database: DatabaseQueue

  /// Opens (creating if needed) the cache at `path` and applies the candle migrations.
  ///
  ///     let store = try CandleStore(path: "data/wick.sqlite")   // creates data/ if missing
  ///
  /// - Throws: `WickError.data` naming the path when the file cannot be created or opened.
  public init(path: String = CandleStore.defaultPath) throws {
    self.path = path
    let url = URL(fileURLWithPath: path)
    do {
      try FileManager.default.createDirectory(
        at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      var config = Configuration()
      config.prepareDatabase { db in
        // WAL lets the read-only cursor connections stream while a writer commits; NORMAL sync is
        // durable across application crashes, which is what a re-fetchable cache needs.
        try db.execute(sql: "PRAGMA journal_mode = WAL")
        try db.execute(sql: "PRAGMA synchronous = NORMAL")
      }
      // The runner, `wick stop` and the dashboard share the file: wait for a writer, never fail.
      config.busyMode = .timeout(10)
      database = try DatabaseQueue(path: path, configuration: config)
    } catch {
      throw WickError.data(
        "cannot open candle cache '\(path)': \(Self.describe(error))\(Self.cause(error, path: path))"
      )
    }
    try migrate(Self.registerCandleMigrations)
  }

  /// Applies migrations registered by `register` (each identifier runs once per database file).
  ///
  ///     try store.migrate { m in
  ///       m.registerMigration("live.v1") { db in try db.create(table: "orders") { … } }
  ///     }
  public func migrate(_ register: (inout DatabaseMigrator) -> Void) throws {
    var migrator = DatabaseMigrator()
    register(&migrator)
    do {
      try migrator.migrate(database)
    } catch {
      throw WickError.data("cannot migrate candle cache '\(path)': \(Self.describe(error))")
    }
  }

  /// What most likely stands behind a SQLite failure on `path`, as " (…)" to append to the
  /// message, or "" when nothing more is known: a full disk, a lock another process holds, a
  /// read-only file or folder.
  public static func cause(_ error: any Error, path: String) -> String {
    guard let db = error as? DatabaseError else { return "" }
    let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
    let readOnly =
      access(folder, W_OK) != 0
      || (FileManager.default.fileExists(atPath: path) && access(path, W_OK) != 0)
    switch db.resultCode {
    case .SQLITE_FULL: return " (the disk is full)"
    case .SQLITE_BUSY, .SQLITE_LOCKED:
      return " (another process held the database locked for more than 10 s)"
    case .SQLITE_READONLY: return " (the file is read-only)"
    case .SQLITE_CANTOPEN, .SQLITE_IOERR, .SQLITE_PERM:
      return readOnly
        ? " (the file or its folder is read-only)"
        : db.resultCode == .SQLITE_IOERR ? " (the disk may be full or failing)" : ""
    default: return ""
    }
  }

  /// A short human message for a GRDB or system error (no SQL dump).
  public static func describe(_ error: any Error) -> String {
    if let wick = error as? WickError { return wick.description }
    if let db = error as? DatabaseError { return db.message ?? "\(db.resultCode)" }
    return "\(error)"
  }
}
