/// Why a position was closed.
public enum ExitReason: String, Sendable, Codable, Hashable, CaseIterable {
  case stop
  case take
  case trail
  case signal
  case liquidation
  case endOfData = "end_of_data"
  case risk
}

/// A closed round trip. Prices include spread and slippage; `pnl` is net of all costs.
public struct Trade: Sendable, Equatable {
  public var symbol: String
  public var side: Side
  public var entryTime: Int64
  public var entryPrice: Double
  public var exitTime: Int64
  public var exitPrice: Double
  public var qty: Double
  public var fees: Double
  public var spreadCost: Double
  public var slippageCost: Double
  public var funding: Double
  public var pnl: Double
  /// pnl / initial risk (nil when the trade had no stop).
  public var r: Double?
  /// Maximum adverse / favourable excursion as prices: the worst and best price the position
  /// lived through, entry and exit fills included (long: lowest low / highest high; short: the
  /// reverse). nil where unknown (trades rebuilt from the ledger).
  public var mae: Double?
  public var mfe: Double?
  public var exitReason: ExitReason
  public var exitNote: String?
  public var tag: String?
  /// How the position entered: `entry_type` in the JSON.
  public var entryType: EntryType = .market
  /// The position this row closes (all or part of): `position` in the JSON.
  public var position: Int = 0
  /// True for a partial close (`ctx:exit{fraction = ...}`): the position stayed open.
  public var partial = false

  public init(
    symbol: String, side: Side, entryTime: Int64, entryPrice: Double, exitTime: Int64,
    exitPrice: Double,
    qty: Double, fees: Double, spreadCost: Double, slippageCost: Double, funding: Double = 0,
    pnl: Double,
    r: Double?, exitReason: ExitReason, exitNote: String? = nil, tag: String? = nil,
    mae: Double? = nil, mfe: Double? = nil
  ) {
    self.symbol = symbol
    self.side = side
    self.entryTime = entryTime
    self.entryPrice = entryPrice
    self.exitTime = exitTime
    self.exitPrice = exitPrice
    self.qty = qty
    self.fees = fees
    self.spreadCost = spreadCost
    self.slippageCost = slippageCost
    self.funding = funding
    self.pnl = pnl
    self.r = r
    self.exitReason = exitReason
    self.exitNote = exitNote
    self.tag = tag
    self.mae = mae
    self.mfe = mfe
  }
}

/// Equity (cash + unrealised PnL) at a candle close.
public struct EquityPoint: Sendable, Equatable {
  public var time: Int64
  public var equity: Double
  public init(time: Int64, equity: Double) {
    self.time = time
    self.equity = equity
  }
}
