import ArgumentParser

/// `wick`: the command-line entry point. Only wiring lives in this module: parsing arguments,
/// opening the cache, handing work to the library modules and printing their results.
public struct WickCommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "wick",
    abstract: "Crypto trading host: Lua strategies, honest backtests, paper and live execution.",
    subcommands: [
      DataCommand.self,
      BacktestCommand.self,
      ConfigCommand.self,
      PairsCommand.self,
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
