import Foundation
import WickCore
import WickData

/// A `LiquidationRecorder` on a thread of its own beside a run's candle stream, writing into the
/// run's cache (the runner reads it back before each candle: `Runner+Extras`).
final class LiquidationRecording: @unchecked Sendable {
  private let lock = NSLock()
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
    let recording = LiquidationRecording()
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

  private var isStopping: Bool { lock.withLock { stopping } }

  /// Stops the recorder and waits for it to write what closed; returns why it had stopped on
  /// its own, if it had.
  func stop() -> String? {
    lock.withLock { stopping = true }
    done.wait()
    return lock.withLock { failure }
  }
}
