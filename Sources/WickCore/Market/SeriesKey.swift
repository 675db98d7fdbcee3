/// Identifies one candle series in the cache: exchange, symbol and timeframe.
public struct SeriesKey: Hashable, Sendable, CustomStringConvertible {
  public var exchange: String
  public var symbol: String
  public var timeframe: Timeframe

  public init(exchange: String = "local", symbol: String, timeframe: Timeframe) {
    self.exchange = exchange
    self.symbol = symbol
    self.timeframe = timeframe
  }

  public var description: String { "\(exchange):\(symbol):\(timeframe)" }
}
