import Foundation
import WickCore
import WickRisk

extension LiveExecutor {
  /// Closes `qty` of the position of `symbol` at market (reduce-only), rounded down to the lot
  /// step and never more than the exchange holds; nil `qty` closes all of it (`exit`). Found
  /// filled under its id first (sent before a restart), so it is never sent twice. nil when the
  /// position is already flat or the part rounds to nothing.
  ///
  /// The stop needs no new request: every adapter's stop protects the whole position whatever
  /// its size (Bybit's position stop in tpslMode Full, Binance's `closePosition` algo orders).
  public func reduce(
    symbol: String, qty: Double?, clientOrderID: String, instrument: InstrumentSpec
  ) throws -> LiveFill? {
    if let done = try inbox.order(clientOrderID)
      ?? gateway.order(clientOrderID: clientOrderID, symbol: symbol), done.isFinal,
      let fill = done.fill
    {
      return fill  // sent before a restart and filled
    }
    let position = try gateway.position(symbol: symbol)
    guard let side = position.side, position.isOpen else { return nil }
    let part = qty.map { min(instrument.roundQty($0), position.size) } ?? position.size
    guard part > 0 else { return nil }
    let order = Order(
      symbol: symbol, buy: side == .short, qty: instrument.format(qty: part), id: clientOrderID,
      reduceOnly: true)
    guard let placed = try place(order) else {
      throw LiveOrderError.unavailable(
        "\(clientOrderID) was not placed: \(refusal(clientOrderID))")
    }
    return try awaitFill(placed)
  }
}
