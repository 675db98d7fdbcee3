import Foundation
import WickCore

/// Candles of one symbol that neither the stream nor REST had after every retry: the run goes on
/// without them (exchanges do have minutes without a candle), and the ledger says so in a
/// `candle_missing` incident. A resume and `wick replay` read those incidents back and leave the
/// same candles out, even if the cache has since been given them (a later REST answer, `wick data
/// fetch`), so that they rebuild exactly what the strategy saw.
///
/// The incident's detail names the symbol and the open times, then why:
///
///     BTCUSDT 2024-01-01T00:03:00Z..2024-01-01T00:05:00Z,2024-01-01T00:09:00Z: not on the stream …
public struct MissingCandles: Equatable, Sendable {
  public static let incidentKind = "candle_missing"

  public var symbol: String
  /// Runs of consecutive missing open times (both ends included), oldest first.
  public var ranges: [ClosedRange<Int64>]
  public var reason: String

  public init(symbol: String, ranges: [ClosedRange<Int64>], reason: String) {
    self.symbol = symbol
    self.ranges = ranges
    self.reason = reason
  }

  /// Open times `times` (ascending, on the `step` grid) as runs of consecutive candles.
  public init(symbol: String, times: [Int64], step: Int64, reason: String) {
    var ranges: [ClosedRange<Int64>] = []
    for t in times {
      if let last = ranges.last, last.upperBound + step == t {
        ranges[ranges.count - 1] = last.lowerBound...t
      } else {
        ranges.append(t...t)
      }
    }
    self.init(symbol: symbol, ranges: ranges, reason: reason)
  }

  /// The first missing open time (the incident's time).
  public var first: Int64 { ranges.first?.lowerBound ?? 0 }

  public var detail: String {
    let times = ranges.map {
      $0.lowerBound == $0.upperBound
        ? UTCTime.iso($0.lowerBound)
        : "\(UTCTime.iso($0.lowerBound))..\(UTCTime.iso($0.upperBound))"
    }
    return "\(symbol) \(times.joined(separator: ",")): \(reason)"
  }

  /// The candles an incident's detail names; nil when it is not in `detail`'s shape.
  public init?(detail: String) {
    guard let colon = detail.firstRange(of: ": ") else { return nil }
    let head = detail[..<colon.lowerBound].split(separator: " ")
    guard head.count == 2 else { return nil }
    var ranges: [ClosedRange<Int64>] = []
    for part in head[1].split(separator: ",") {
      let pair = part.components(separatedBy: "..")
      guard (1...2).contains(pair.count), let lo = UTCTime.parse(pair[0]),
        let hi = UTCTime.parse(pair[pair.count - 1]), lo <= hi
      else { return nil }
      ranges.append(lo...hi)
    }
    guard !ranges.isEmpty else { return nil }
    self.init(
      symbol: String(head[0]), ranges: ranges,
      reason: String(detail[colon.upperBound...]))
  }

  /// Whether `time` is one of the missing open times.
  public func contains(_ time: Int64) -> Bool { ranges.contains { $0.contains(time) } }
}
