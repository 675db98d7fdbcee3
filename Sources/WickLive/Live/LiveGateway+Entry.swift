extension LiveGateway {
  /// An exchange that keeps stops as orders of their own (Binance's Algo Order API) places the
  /// entry bare; `LiveExecutor` puts the stop on after the fill and verifies it.
  public func placeEntry(
    symbol: String, buy: Bool, qty: String, clientOrderID: String, stop: String, take: String?
  ) throws -> GatewayOrder {
    try placeMarket(
      symbol: symbol, buy: buy, qty: qty, clientOrderID: clientOrderID, reduceOnly: false)
  }
}
