import Foundation
import WickCore

/// The exchange's clock, measured against ours with one server-time request.
///
///     let clock = try ServerClock.measure(api: api, requester: requester)
///     let lastClosedEnd = tf.floor(clock.earliestNow())   // candles ending by then are closed
///
/// The server stamps its answer somewhere inside the round trip, so its reading is known to
/// ± half the round trip. `now()` is the best estimate (the stamp taken at the round trip's
/// midpoint); `earliestNow()` is the lowest the exchange's clock can read, which is what deciding
/// "this candle has closed" needs: judged by it, a forming candle is never taken for a closed one.
public struct ServerClock: Sendable, Equatable {
  /// Server − local, epoch ms, at the round trip's midpoint.
  public var offsetMilliseconds: Int64
  public var roundTripMilliseconds: Int64

  public init(offsetMilliseconds: Int64, roundTripMilliseconds: Int64) {
    self.offsetMilliseconds = offsetMilliseconds
    self.roundTripMilliseconds = roundTripMilliseconds
  }

  /// GETs the exchange's server time (retried like any request) and measures the offset.
  public static func measure(api: ExchangeAPI, requester: ExchangeRequester) throws -> ServerClock {
    let before = localNow()
    let response = try requester.get(api.serverTimeURL, retryableBody: api.retryableBody)
    let after = localNow()
    let server: Int64
    do {
      server = try api.parseServerTime(try JSONDocument(response.body))
    } catch let e as JSONDocument.Malformed {
      throw WickError.exchange(
        "GET \(api.serverTimeURL): malformed response: \(e.reason) at byte \(e.offset)")
    } catch let e as ShapeError {
      throw WickError.exchange("GET \(api.serverTimeURL): unexpected response: \(e.reason)")
    } catch let e as WickError {
      throw WickError.exchange("GET \(api.serverTimeURL): \(e)")
    }
    let rtt = max(0, after - before)
    return ServerClock(
      offsetMilliseconds: server - (before + rtt / 2), roundTripMilliseconds: rtt)
  }

  /// Now on the exchange's clock, epoch ms (best estimate).
  public func now() -> Int64 { Self.localNow() + offsetMilliseconds }

  /// The earliest the exchange's clock can read now: `now()` less half the round trip.
  public func earliestNow() -> Int64 { now() - (roundTripMilliseconds + 1) / 2 }

  /// An exchange time (epoch ms) as a local epoch time in seconds, e.g. a rate-limit reset.
  public func localSeconds(ofServerTime ms: Int64) -> TimeInterval {
    Double(ms - offsetMilliseconds) / 1000
  }

  static func localNow() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}
