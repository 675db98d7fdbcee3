import Dispatch
import WickCore

/// A cursor that passes candles through unchanged while bucketing them for the report's price
/// chart and reading their regime for its attribution (used only when a report is asked for).
///
/// Batches pass through as batches when the wrapped cursor delivers them, and are recorded on
/// another core while the simulation steps through the same buffer: the regime classifier costs
/// about a fifth of a `--json` backtest's candle loop, and here it runs beside it instead. The
/// next batch is fetched only once the previous one is recorded (fetching hands its buffer back
/// to the wrapped cursor), so the recording sees every candle once, in order.
public final class PriceRecordingCursor: BatchCandleCursor {
  private let base: CandleCursor
  private let batched: BatchCandleCursor?
  private let recording: Recording
  private let queue = DispatchQueue(label: "wick.report.prices", qos: .userInitiated)
  private let recorded = DispatchGroup()
  /// Whether a batch was handed to `queue` since the last wait (read on the caller's thread only).
  private var inFlight = false
  private let one = UnsafeMutablePointer<Candle>.allocate(capacity: 1)

  public init(_ base: CandleCursor, prices: PriceBuckets, regimes: RegimeTape? = nil) {
    self.base = base
    batched = base as? BatchCandleCursor
    recording = Recording(prices: prices, regimes: regimes)
  }

  deinit {
    waitForRecording()  // the batch in flight is the wrapped cursor's buffer, released after this
    one.deallocate()
  }

  /// The price buckets of every candle passed through so far.
  public var prices: PriceBuckets {
    waitForRecording()
    return recording.prices
  }

  /// The regime over the candles passed through so far (nil: not recorded).
  public var regimes: RegimeTape? {
    waitForRecording()
    return recording.regimes
  }

  private func waitForRecording() {
    guard inFlight else { return }
    recorded.wait()
    inFlight = false
  }

  public func next() throws -> Candle? {
    waitForRecording()
    guard let c = try base.next() else { return nil }
    recording.record(c)
    return c
  }

  public func nextBatch() throws -> UnsafeBufferPointer<Candle> {
    if let batched {
      waitForRecording()
      let batch = try batched.nextBatch()
      if !batch.isEmpty {
        let job = BatchJob(recording: recording, batch: batch)
        inFlight = true
        queue.async(group: recorded) { job.run() }
      }
      return batch
    }
    guard let c = try next() else { return UnsafeBufferPointer(start: nil, count: 0) }
    one.pointee = c
    return UnsafeBufferPointer(start: one, count: 1)
  }
}

/// What the recording queue mutates; the cursor reads it only after waiting for the queue.
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
    for c in batch { prices.add(c) }
    if regimes != nil {
      for c in batch { regimes!.add(c) }
    }
  }
}

/// One batch handed to the queue: the buffer stays valid until the cursor's next fetch, which
/// waits for this job first.
private struct BatchJob: @unchecked Sendable {
  let recording: Recording
  let batch: UnsafeBufferPointer<Candle>
  func run() { recording.record(batch) }
}
