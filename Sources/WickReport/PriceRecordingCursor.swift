import Dispatch
import WickCore

/// A cursor that passes candles through unchanged while bucketing them for the report's price
/// chart and reading their regime for its attribution (used only when a report is asked for).
///
/// Batches pass through as batches when the wrapped cursor delivers them, and are recorded on
/// another core while the simulation steps through them: the regime classifier costs about a
/// fifth of a `--json` backtest's candle loop, and here it runs beside it instead. Each batch is
/// copied into one of a few preallocated buffers before it is handed to the recording queue (the
/// wrapped cursor reuses its own buffer on the next fetch), so the caller never waits for the
/// recording unless it is `depth` batches behind: on a busy machine the recording may lag and
/// catch up, and the candle loop keeps running. The queue is serial, so the recording sees every
/// candle once, in order.
public final class PriceRecordingCursor: BatchCandleCursor {
  /// Batches the recording may lag behind the caller before `nextBatch()` waits for it.
  static let depth = 4

  private let base: CandleCursor
  private let batched: BatchCandleCursor?
  private let recording: Recording
  private let queue = DispatchQueue(label: "wick.report.prices", qos: .userInitiated)
  /// Counts the copy buffers free for the next batch.
  private let freeCopies = DispatchSemaphore(value: 0)
  private let copies: CopyBuffers
  private var nextCopy = 0
  /// Whether a batch was handed to `queue` since the last drain (read on the caller's thread only).
  private var inFlight = false
  private let one = UnsafeMutablePointer<Candle>.allocate(capacity: 1)

  public init(_ base: CandleCursor, prices: PriceBuckets, regimes: RegimeTape? = nil) {
    self.base = base
    batched = base as? BatchCandleCursor
    recording = Recording(prices: prices, regimes: regimes)
    copies = CopyBuffers(count: batched == nil ? 0 : Self.depth)
    // Created at 0 and signalled up: libdispatch traps when a semaphore is freed below its
    // initial value.
    for _ in 0..<copies.count { freeCopies.signal() }
  }

  deinit {
    drain()  // the jobs in flight read the copy buffers, freed after this
    one.deallocate()
  }

  /// The price buckets of every candle passed through so far.
  public var prices: PriceBuckets {
    drain()
    return recording.prices
  }

  /// The regime over the candles passed through so far (nil: not recorded).
  public var regimes: RegimeTape? {
    drain()
    return recording.regimes
  }

  /// Waits until every batch handed to the queue is recorded.
  private func drain() {
    guard inFlight else { return }
    queue.sync {}
    inFlight = false
  }

  public func next() throws -> Candle? {
    drain()
    guard let c = try base.next() else { return nil }
    recording.record(c)
    return c
  }

  public func nextBatch() throws -> UnsafeBufferPointer<Candle> {
    if let batched {
      let batch = try batched.nextBatch()
      if !batch.isEmpty {
        freeCopies.wait()  // returns at once unless the recording is `depth` batches behind
        let copy = copies.copy(batch, into: nextCopy)
        nextCopy = (nextCopy + 1) % copies.count
        let job = BatchJob(recording: recording, batch: copy, done: freeCopies)
        inFlight = true
        queue.async { job.run() }
      }
      return batch
    }
    guard let c = try next() else { return UnsafeBufferPointer(start: nil, count: 0) }
    one.pointee = c
    return UnsafeBufferPointer(start: one, count: 1)
  }
}

/// What the recording queue mutates; the cursor reads it only after draining the queue.
private final class Recording: @unchecked Sendable {
  var prices: PriceBuckets
  var regimes: RegimeTape?

  init(prices: PriceBuckets, regimes: RegimeTape?) {
    self.prices = prices
    self.regimes = regimes
  }

  @inline(__always) func record(_ c: Candle) {
    prices.add(c)
    regimes?.add(c)
  }

  func record(_ batch: UnsafeBufferPointer<Candle>) {
    Self.add(batch, to: &prices)
    if regimes != nil { Self.add(batch, to: &regimes!) }
  }

  // One access to the property for the whole batch, the struct mutated in place: reaching it
  // through the class (and the optional) on every candle cost a copy of the tape per candle.
  private static func add(_ batch: UnsafeBufferPointer<Candle>, to prices: inout PriceBuckets) {
    for c in batch { prices.add(c) }
  }

  private static func add(_ batch: UnsafeBufferPointer<Candle>, to tape: inout RegimeTape) {
    for c in batch { tape.add(c) }
  }
}

/// The buffers batches are copied into for the recording queue: each grows to the largest batch
/// it has held (the cache's cursor always hands over the same chunk size, so they are allocated
/// once per run, not per batch).
private final class CopyBuffers {
  private var buffers: [UnsafeMutableBufferPointer<Candle>]

  init(count: Int) {
    buffers = Array(repeating: UnsafeMutableBufferPointer(start: nil, count: 0), count: count)
  }

  deinit { for b in buffers { b.deallocate() } }

  var count: Int { buffers.count }

  /// Copies `batch` into buffer `k` (free: no job in flight reads it) and returns the copy.
  func copy(_ batch: UnsafeBufferPointer<Candle>, into k: Int) -> UnsafeBufferPointer<Candle> {
    if buffers[k].count < batch.count {
      buffers[k].deallocate()
      buffers[k] = .allocate(capacity: batch.count)
    }
    let target = buffers[k].baseAddress!
    target.initialize(from: batch.baseAddress!, count: batch.count)
    return UnsafeBufferPointer(start: target, count: batch.count)
  }
}

/// One batch handed to the queue: its copy stays untouched until the job signals `done`.
private struct BatchJob: @unchecked Sendable {
  let recording: Recording
  let batch: UnsafeBufferPointer<Candle>
  let done: DispatchSemaphore
  func run() {
    recording.record(batch)
    done.signal()
  }
}
