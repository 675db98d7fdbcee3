import WickCore

extension MockKlineStream {
  /// A Binance combined-stream kline message (`<symbol>@kline_<tf>`, `x` = closed), as documented.
  public static func binanceKlineMessage(
    symbol: String, interval: String, candle c: Candle, closed: Bool, timeframe: Timeframe
  ) -> String {
    let closeTime = c.time + timeframe.milliseconds - 1
    return """
      {"stream":"\(symbol.lowercased())@kline_\(interval)","data":{"e":"kline","E":\(closeTime),\
      "s":"\(symbol)","k":{"t":\(c.time),"T":\(closeTime),"s":"\(symbol)","i":"\(interval)","f":1,"L":2,\
      "o":"\(c.open)","c":"\(c.close)","h":"\(c.high)","l":"\(c.low)","v":"\(c.volume)","n":2,\
      "x":\(closed),"q":"0","V":"0","Q":"0","B":"0"}}}
      """
  }
}
