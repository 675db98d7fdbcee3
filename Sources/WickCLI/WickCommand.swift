import ArgumentParser

/// `wick`: the command-line entry point. Only wiring lives in this module: parsing arguments,
/// opening the cache, handing work to the library modules and printing their results.
public struct WickCommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "wick",
    abstract: "Backtest, paper-trade and live-trade sandboxed Lua strategies on crypto candles.",
    // What exists today, one line per command; a new command adds its line here.
    discussion: """
      wick data       fill the candle cache: synthesise, import, export,
                      fetch from Bybit or Binance, repair gaps, resample, list
      wick backtest   run a strategy over cached candles: honest fills, costs,
                      risk limits; --json, self-contained --html, --watch
      wick optimize   sweep a strategy's params (grid, random, walk-forward)
                      and pick the best set; shards and merge for big sweeps
      wick pairs      find cointegrated pairs for pairs strategies
      wick config     check a wick.toml risk and cost config
      wick run        trade a strategy on the exchange's closed candles: paper
                      (the backtest's fills) by default; resumes after a crash
      wick runs ls    paper and live runs: status, equity, open positions
      wick stop       halt running runs (--flatten closes everything first)
      wick replay     re-run a recorded session through the backtest kernel

      Live trading: wick run --live on Bybit (testnet unless --mainnet), keys from
      WICK_BYBIT_API_KEY and WICK_BYBIT_API_SECRET.
      """,
    subcommands: [
      DataCommand.self,
      BacktestCommand.self,
      ConfigCommand.self,
      PairsCommand.self,
      RunCommand.self,
      StopCommand.self,
      RunsCommand.self,
      ReplayCommand.self,
      OptimizeCommand.self,
      ServeCommand.self,
      DoctorCommand.self,
    ]
  )
  public init() {}
}

/// `wick data …`: the candle cache.
public struct DataCommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "data",
    abstract: "Manage the candle cache: synthesise, import, export, list, fetch.",
    subcommands: [
      DataSynth.self, DataImport.self, DataExport.self, DataList.self, DataResample.self,
      DataFetch.self, DataRepair.self,
      DataTime.self,
    ]
  )
  public init() {}
}
