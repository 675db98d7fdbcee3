import WickCore

/// Stops and takes that cannot be right, whatever the risk rules say: a level at or below zero,
/// a stop that is not on the losing side of the price, a take that is not on the winning side (a
/// long with its take below the close would close at a loss on the next candle). Such intents
/// are refused before sizing, with a code the script reads from `ctx:enter` and the report counts.
/// Shared by the sizing-only gate and the full risk engine.
enum IntentLevels {
  /// - Parameter price: the reference price the intent is judged against (the decision close).
  static func refusal(_ intent: OrderIntent, price: Double) -> Refusal? {
    if let stop = intent.stop, !(stop > 0) {
      return Refusal("stop_not_positive", "stop \(formatNumber(stop)) must be a positive price")
    }
    if let take = intent.take, !(take > 0) {
      return Refusal("take_not_positive", "take \(formatNumber(take)) must be a positive price")
    }
    guard price > 0 else { return nil }  // no price yet: sizing refuses it as no_price
    let side = intent.side
    if let stop = intent.stop, (price - stop) * side.sign <= 0 {
      return Refusal(
        "stop_wrong_side",
        "stop \(formatNumber(stop)) is not on the losing side of \(formatNumber(price)) for a \(side.rawValue)"
      )
    }
    if let take = intent.take, (take - price) * side.sign <= 0 {
      return Refusal(
        "take_wrong_side",
        "take \(formatNumber(take)) is not on the winning side of \(formatNumber(price)) for a \(side.rawValue)"
      )
    }
    return nil
  }
}
