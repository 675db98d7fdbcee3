// WickLive: the paper and live runners around the shared TradingKernel, the exchanges' candle
// streams, and the run ledger.
