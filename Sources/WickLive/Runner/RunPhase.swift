import Foundation
import WickCore
import WickData

/// Where a run stands from start-up to the end of its live session, as one value, so that the
/// catch-up and the live stream are never pending at once and each step asks for the phase it
/// needs:
///
///     starting ── recoverRecorded() ──▶ recovered(CatchUp) ── catchUpAndListen() ──▶ catchingUp
///     catchingUp ── stream opened ──▶ live(LiveSession) ── endSession() ──▶ ended
///
/// `starting` covers `prepare()` and the re-handling of recorded candles (a resume verifies each
/// one's decisions against the ledger while `LedgerJournal.verifyUntil` is ahead); `catchingUp`
/// handles the candles that closed while the runner was down, decided anew.
enum RunPhase {
  case starting
  /// The recorded candles are re-handled; the missed ones and the stream are next.
  case recovered(CatchUp)
  /// The missed candles are being handled (a failure here leaves the run neither recovered nor
  /// live: it is stopped, and the same command resumes it).
  case catchingUp
  case live(LiveSession)
  case ended

  /// Takes the catch-up `recoverRecorded()` left, moving on to `catchingUp`; nil (nothing
  /// changes) in any other phase.
  mutating func startCatchingUp() -> CatchUp? {
    guard case .recovered(let c) = self else { return nil }
    self = .catchingUp
    return c
  }

  /// The open live stream, if the run is live.
  var session: LiveSession? {
    if case .live(let s) = self { return s }
    return nil
  }

  /// The live session was closed; any other phase stays as it is.
  mutating func endSession() {
    if case .live = self { self = .ended }
  }
}

/// Where the catch-up stands between `recoverRecorded()` and `catchUpAndListen()`.
struct CatchUp {
  let fetcher: MarketDataFetcher
  let backfill: FetcherBackfill
  let end: Int64
  /// Candles from here on were not handled before: they are decided anew.
  let from: Int64
  /// The last open time handled per symbol so far.
  let last: [Int64?]
  /// The cache's name of the exchange the candles come from.
  var storageName: String { fetcher.api.storageName }
}
