import Foundation
import GRDBSQLite
import WickCore

/// Streams one series from SQLite at millions of candles per second.
///
/// A dedicated read-only connection (so it never blocks the store's writer) is stepped on a
/// background thread that fills a ring of preallocated chunks; `next()` only indexes the current
/// chunk, so the consumer's per-candle path has no allocation, no lock and no SQLite call. Chunks
/// change hands through two semaphores (`free` counts chunks the reader may fill, `filled` counts
/// chunks ready for the consumer). Dropping the cursor early stops and joins the reader thread.
final class SQLiteCandleCursor: BatchCandleCursor {
  /// Candles per chunk: large enough that the hand-over cost disappears, small enough for L2.
  static let chunkCapacity = 16_384
  /// Chunks in the ring: the reader can run this far ahead of the consumer.
  static let ringSize = 4
  /// Rows in the first chunk. The consumer waits for the whole first chunk (16,384 rows took the
  /// reader about 32 M instructions, some 10 ms), so the reader starts small and grows each chunk
  /// by half: it steps a row in fewer instructions than a backtest spends on it, so every later
  /// chunk is ready before the consumer finishes the one before.
  static let firstChunk = 1_024

  private let state: PrefetchState
  private var chunk: UnsafeMutableBufferPointer<Candle>
  private var index = 0
  private var count = 0
  private var slot = -1
  private var finished = false

  init(path: String, series: SeriesKey, from: Int64, to: Int64) throws {
    state = try PrefetchState(path: path, series: series, from: from, to: to)
    chunk = state.buffers[0]
    let state = self.state
    let thread = Thread { state.run() }
    thread.name = "wick.cursor.\(series)"
    thread.start()
  }

  deinit {
    state.cancel()
  }

  func next() throws -> Candle? {
    if index < count {
      defer { index += 1 }
      return chunk[index]
    }
    return try nextChunk()
  }

  /// The rest of the current chunk (the next filled one when it is used up); valid until the next
  /// call, which hands the chunk back to the reader.
  func nextBatch() throws -> UnsafeBufferPointer<Candle> {
    if index == count {
      guard try nextChunk() != nil else { return UnsafeBufferPointer(start: nil, count: 0) }
      index = 0  // nextChunk() handed out the chunk's first candle for next(); include it
    }
    defer { index = count }
    return UnsafeBufferPointer(rebasing: chunk[index..<count])
  }

  /// Hands the consumed chunk back to the reader and takes the next filled one.
  private func nextChunk() throws -> Candle? {
    while !finished {
      if slot >= 0 { state.free.signal() }
      state.filled.wait()
      slot = (slot + 1) % Self.ringSize
      chunk = state.buffers[slot]
      count = state.counts[slot]
      finished = state.isFinal[slot]
      index = 0
      if count > 0 {
        index = 1
        return chunk[0]
      }
    }
    if let error = state.error { throw error }
    return nil
  }
}

/// What the reader thread and the consumer share. Every field except `cancelled` is handed over
/// through the semaphores (a chunk's buffer, count and final flag are written before `filled` is
/// signalled and read after it is waited on), which orders the accesses.
///
/// The per-slot count and final flag are raw memory, not arrays: each side touches only the slot
/// the semaphores handed it, but writing an array's element is an access to the whole array, which
/// raced with the consumer reading another slot (ThreadSanitizer, `make sanitize`) and, should
/// that read hold the array's buffer at the moment, would copy it and lose the write.
private final class PrefetchState: @unchecked Sendable {
  let buffers: [UnsafeMutableBufferPointer<Candle>]
  let counts: UnsafeMutableBufferPointer<Int>
  let isFinal: UnsafeMutableBufferPointer<Bool>
  var error: WickError?
  // Created at 0 and signalled up: libdispatch traps when a semaphore is freed below its initial value.
  let free = DispatchSemaphore(value: 0)
  let filled = DispatchSemaphore(value: 0)
  private let stopped = DispatchSemaphore(value: 0)
  private let lock = NSLock()
  private var cancelled = false
  private let connection: OpaquePointer
  private let statement: OpaquePointer
  private let series: SeriesKey
  private let path: String
  /// The exclusive end of the range (Int64.max: none).
  private let end: Int64

  /// Opens the connection and prepares the query up front so that a bad path or schema throws
  /// from `store.cursor(…)` rather than from the first `next()`.
  init(path: String, series: SeriesKey, from: Int64, to: Int64) throws {
    self.path = path
    self.series = series
    var db: OpaquePointer?
    guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK,
      let db
    else {
      let message = SQLiteText.message(db)
      sqlite3_close(db)
      throw WickError.data("cannot open candle cache '\(path)' for reading: \(message)")
    }
    // A WAL reader is only briefly busy (while another connection recovers the WAL index): wait.
    sqlite3_busy_timeout(db, 5_000)
    // No memory mapping: a mapped file counts every page read toward the process's RSS (80 MB
    // per million candles), while plain reads keep memory flat at no measurable speed cost.
    sqlite3_exec(db, "PRAGMA mmap_size = 0", nil, nil, nil)
    var stmt: OpaquePointer?
    // Without an end (`to` is Int64.max) the query has no upper bound on time: SQLite then ends
    // the range on the series id alone, a one-integer comparison per row instead of a
    // two-column record comparison (about a tenth of the reader's work). `fill` stops at `to`
    // either way, so the rows are the same.
    let bounded = to != Int64.max
    let sql = """
      SELECT time, open, high, low, close, volume FROM candles
      WHERE series_id = \(CandleStore.seriesIDSubquery) AND time >= ?4\(bounded ? " AND time < ?5" : "")
      ORDER BY time
      """
    guard sqlite3_prepare_v2(db, sql, -1, &stmt, nil) == SQLITE_OK, let stmt else {
      let message = SQLiteText.message(db)
      sqlite3_close(db)
      throw WickError.data("cannot read candles from '\(path)': \(message)")
    }
    _ = SQLiteText.bind(series.exchange, at: 1, in: stmt)
    _ = SQLiteText.bind(series.symbol, at: 2, in: stmt)
    sqlite3_bind_int64(stmt, 3, series.timeframe.milliseconds)
    sqlite3_bind_int64(stmt, 4, from)
    if bounded { sqlite3_bind_int64(stmt, 5, to) }
    end = to
    connection = db
    statement = stmt
    buffers = (0..<SQLiteCandleCursor.ringSize).map { _ in
      UnsafeMutableBufferPointer<Candle>.allocate(capacity: SQLiteCandleCursor.chunkCapacity)
    }
    counts = .allocate(capacity: SQLiteCandleCursor.ringSize)
    counts.initialize(repeating: 0)
    isFinal = .allocate(capacity: SQLiteCandleCursor.ringSize)
    isFinal.initialize(repeating: false)
    for _ in buffers { free.signal() }
  }

  deinit {
    for buffer in buffers { buffer.deallocate() }
    counts.deallocate()
    isFinal.deallocate()
  }

  /// The reader thread's body: fill free chunks in ring order until the rows run out, an error
  /// occurs, or the consumer goes away.
  func run() {
    defer {
      sqlite3_finalize(statement)
      sqlite3_close(connection)
      stopped.signal()
    }
    var slot = 0
    var rows = SQLiteCandleCursor.firstChunk
    while true {
      free.wait()
      if isCancelled { return }
      let (n, final) = fill(UnsafeMutableBufferPointer(rebasing: buffers[slot][..<rows]))
      rows = min(rows + rows / 2, SQLiteCandleCursor.chunkCapacity)
      counts[slot] = n
      isFinal[slot] = final
      filled.signal()
      if final { return }
      slot = (slot + 1) % SQLiteCandleCursor.ringSize
    }
  }

  /// Steps the statement into `buffer`; `final` is true at the end of the rows or on an error.
  private func fill(_ buffer: UnsafeMutableBufferPointer<Candle>) -> (count: Int, final: Bool) {
    var n = 0
    while n < buffer.count {
      let rc = sqlite3_step(statement)
      guard rc == SQLITE_ROW else {
        if rc != SQLITE_DONE {
          error = WickError.data(
            "reading \(series) from '\(path)' failed after \(n) rows of a chunk: \(SQLiteText.message(connection))"
          )
        }
        return (n, true)
      }
      let time = sqlite3_column_int64(statement, 0)
      if time >= end { return (n, true) }
      buffer[n] = Candle(
        time: time,
        open: sqlite3_column_double(statement, 1),
        high: sqlite3_column_double(statement, 2),
        low: sqlite3_column_double(statement, 3),
        close: sqlite3_column_double(statement, 4),
        volume: sqlite3_column_double(statement, 5))
      n += 1
    }
    return (n, false)
  }

  private var isCancelled: Bool {
    lock.lock()
    defer { lock.unlock() }
    return cancelled
  }

  /// Stops the reader (waking it if it waits for a free chunk) and waits until it has exited.
  func cancel() {
    lock.lock()
    cancelled = true
    lock.unlock()
    free.signal()
    stopped.wait()
  }
}
