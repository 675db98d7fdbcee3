import ArgumentParser

/// `wick`: the command-line entry point. Only wiring lives in this module: parsing arguments,
/// opening the cache, handing work to the library modules and printing their results.
public struct WickCommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "wick",
    abstract: "Backtest sandboxed Lua trading strategies on cached crypto candles.",
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

      Paper and live trading are not available yet.
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
