import Foundation
import WickCore
import WickData

/// A `LiquidationRecorder` on a thread of its own beside a run's candle stream, writing into the
/// run's cache. Before each live candle the runner closes the minutes up to the candle's close
/// (`close(before:)`), so the strategy reads at that close what the cache keeps for it
/// (`Runner+Extras`), the value a backtest or `wick replay` over the cache reads later.
final class LiquidationRecording: @unchecked Sendable {
  private let lock = NSLock()
  private let recorder: LiquidationRecorder
  private var stopping = false
  /// Why the recorder stopped on its own (a cache it could not write), if it did.
  private var failure: String?
  private let done = DispatchSemaphore(value: 0)

  static func start(
    spec: RunSpec, base: String, exchange: String, store: CandleStore, clock: ServerClock?,
    output: @escaping (String) -> Void
  ) throws -> LiquidationRecording {
    let dialect: LiquidationDialect
    switch spec.exchange {
    case "bybit": dialect = BybitLiquidations()
    case "binance": dialect = BinanceLiquidations()
    default:
      throw WickError.invalidArgument("--exchange \(spec.exchange): expected bybit or binance")
    }
    let recorder = LiquidationRecorder(
      dialect: dialect, base: base, exchange: exchange, symbols: spec.symbols, store: store,
      now: { clock?.now() ?? Int64(Date().timeIntervalSince1970 * 1000) })
    let recording = LiquidationRecording(recorder: recorder)
    output("recording liquidations of \(spec.symbols.joined(separator: ", ")) from \(recorder.url)")
    Thread {
      do {
        _ = try recorder.run { recording.isStopping }
      } catch {
        recording.lock.withLock { recording.failure = "\(error)" }
      }
      recording.done.signal()
    }.start()
    return recording
  }

  private init(recorder: LiquidationRecorder) { self.recorder = recorder }

  private var isStopping: Bool { lock.withLock { stopping } }

  /// Liquidations received from the stream so far.
  var received: Int { recorder.received }

  /// Writes the recorded minutes before `end` (the close of the candle about to be handled). A
  /// cache that cannot be written stops the recording (said at the end of the run): the minutes
  /// stay unrecorded, nil to the strategy, never a made-up zero.
  func close(before end: Int64) {
    guard !isStopping else { return }
    do {
      try recorder.close(before: end)
    } catch {
      lock.withLock {
        failure = "\(error)"
        stopping = true
      }
    }
  }

  /// Stops the recorder and waits for it to write what closed; returns why it had stopped on
  /// its own, if it had.
  func stop() -> String? {
    lock.withLock { stopping = true }
    done.wait()
    return lock.withLock { failure }
  }
}

/// The running session's recorder, behind a lock: how many liquidations it has received.
final class LiquidationCount: @unchecked Sendable {
  private let lock = NSLock()
  private var recording: LiquidationRecording?
  func bind(_ r: LiquidationRecording?) { lock.withLock { recording = r } }
  var received: Int { lock.withLock { recording }?.received ?? 0 }
}
