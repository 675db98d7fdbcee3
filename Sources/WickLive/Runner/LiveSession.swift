import Foundation
import WickCore
import WickData

/// The live stream of a running session and its bookkeeping: when the loop last polled commands
/// and beat, and how many live candle times it handled (`--stop-after`).
struct LiveSession {
  let socket: KlineSocket
  let inbox: KlineInbox
  let confirmed: ConfirmedCandles
  /// Funding rates are refreshed over REST as candles close.
  let fetcher: MarketDataFetcher
  /// The liquidation recorder beside the stream (`--record-liquidations`).
  var liquidations: LiquidationRecording?
  /// The exchange's kline streams of the strategy's higher timeframes.
  var higher: HigherKlines?
  var lastPoll = Date.distantPast
  var lastBeat = Date()
  /// Candle times delivered by the stream and handled.
  var delivered = 0
}
