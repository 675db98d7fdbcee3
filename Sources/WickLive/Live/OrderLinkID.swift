import WickCore

/// Client order ids that make retries and restarts idempotent: the same decision always gets
/// the same id, and every exchange refuses a second order with an id it has seen (Bybit's
/// retCode 110072, Binance's -4116).
///
///     OrderLinkID.make(run: 7, candleTime: 1_700_000_000_000, symbol: "BTCUSDT", role: .entry)
///     // "w7-1700000000-BTCUSDT-e"
///
/// The shape is the kernel's (`w<run>-<candle open, s>-<symbol>-<kind>`, one decision per symbol
/// and candle); Bybit and Binance both take up to 36 letters, digits, `-` and `_`.
public enum OrderLinkID {
  public enum Role: String, Sendable {
    /// The entry market order of an intent.
    case entry = "e"
    /// The strategy's (or a flatten's) exit.
    case exit = "x"
    /// The market close after a stop could not be placed.
    case panic = "p"
    /// A pair's long and short legs.
    case pairLong = "pl"
    case pairShort = "ps"
    /// The market close of a pair's filled leg after the other leg failed.
    case unwind = "u"
    /// The reduce-only order that trims a pair's first leg back to the hedge ratio.
    case trim = "t"
    /// A position's stop and take where the exchange keeps them as orders of their own
    /// (Binance's Algo Order API); the adapter appends a stamp, one id per placement.
    case stop = "s"
    case take = "tp"
  }

  public static func make(run: Int64, candleTime: Int64, symbol: String, role: Role) throws
    -> String
  {
    let id = "w\(run)-\(candleTime / 1000)-\(symbol.prefix(12))-\(role.rawValue)"
    guard id.utf8.count <= 36,
      id.utf8.allSatisfy({
        $0 == 45 || $0 == 95 || (48...57).contains($0) || (65...90).contains($0)
          || (97...122).contains($0)
      })
    else {
      throw WickError.invalidArgument(
        "client order id \(id) is not an exchange's shape (at most 36 letters, digits, - and _)")
    }
    return id
  }

  /// The same decision's id for another role (an entry's panic close, say).
  public static func sibling(of id: String, role: Role) -> String {
    guard let dash = id.lastIndex(of: "-") else { return id + "-" + role.rawValue }
    return id[...dash] + role.rawValue
  }

  /// The prefix every id of a run starts with, to tell Wick's orders from others.
  public static func runPrefix(_ run: Int64) -> String { "w\(run)-" }
}
