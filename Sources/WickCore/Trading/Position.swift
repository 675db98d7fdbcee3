/// An open position as the engine tracks it. Plain values only (no strings or references), so
/// copying one on the per-candle path is a memcpy, not retain/release traffic.
public struct Position: Sendable, Equatable {
  public var symbol: Int
  public var side: Side
  public var qty: Double
  /// Average fill price including spread and slippage.
  public var entry: Double
  public var stop: Double?
  public var take: Double?
  public var trail: Double?
  public var openedAt: Int64
  /// qty × |entry − initial stop| at the fill: the "1R" of this trade (0 without a stop).
  public var initialRisk: Double
  /// Entry costs, carried into the trade record.
  public var entryFees: Double
  public var entrySpread: Double
  public var entrySlippage: Double
  /// The lowest and highest prices the position has lived through (its entry fill, every candle
  /// it was open for, its exit fill): a trade's MAE and MFE. Two plain fields updated in place.
  public var lowest: Double
  public var highest: Double
  /// How the position entered (its first fill).
  public var entryType: EntryType = .market
  /// The position's number in the run (1, 2, …): every trade row of it, partial closes
  /// included, carries it.
  public var id: Int = 0
  /// The largest quantity the position has held (its first fill, grown by adds): the scale of
  /// the partial-close floor when the instrument's rules are unknown (`PartialClose`).
  public var peakQty: Double = 0

  public init(
    symbol: Int, side: Side, qty: Double, entry: Double, stop: Double?, take: Double?,
    trail: Double?,
    openedAt: Int64, initialRisk: Double, entryFees: Double, entrySpread: Double,
    entrySlippage: Double, lowest: Double? = nil, highest: Double? = nil
  ) {
    self.symbol = symbol
    self.side = side
    self.qty = qty
    self.entry = entry
    self.stop = stop
    self.take = take
    self.trail = trail
    self.openedAt = openedAt
    self.initialRisk = initialRisk
    self.entryFees = entryFees
    self.entrySpread = entrySpread
    self.entrySlippage = entrySlippage
    self.lowest = lowest ?? entry
    self.highest = highest ?? entry
  }

  /// Folds a candle's range (or one price, as `low` and `high`) into the excursion.
  @inline(__always) public mutating func observe(low: Double, high: Double) {
    if low < lowest { lowest = low }
    if high > highest { highest = high }
  }

  /// Maximum adverse excursion as a price: the worst price against the position.
  public var adverseExtreme: Double { side == .long ? lowest : highest }
  /// Maximum favourable excursion as a price: the best price for the position.
  public var favourableExtreme: Double { side == .long ? highest : lowest }

  /// Unrealised PnL at `price`, before exit costs.
  @inline(__always) public func unrealized(at price: Double) -> Double {
    side.sign * (price - entry) * qty
  }
}
