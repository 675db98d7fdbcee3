import ArgumentParser
import WickCore

/// `wick`: the command-line entry point. Only wiring lives in this module: parsing arguments,
/// opening the cache, handing work to the library modules and printing their results.
public struct WickCommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "wick",
    abstract: "Backtest, paper-trade and live-trade sandboxed Lua strategies on crypto candles.",
    // What exists today, one line per command (indented, so that the terminal's wrapping keeps
    // the table); a new command adds its line here.
    discussion: """
      Commands:
        wick data       the candle cache: synth, import, fetch, repair, resample, ls
        wick backtest   run a strategy over cached candles with costs and risk limits
        wick report     compare two backtest results side by side (--html)
        wick reproduce  re-run a backtest from its --json result; name what changed
        wick optimize   sweep params (grid, random, walk-forward); shards and merge
        wick pairs      find cointegrated pairs for pairs strategies
        wick config     check a wick.toml risk and cost config
        wick run        trade on closed candles, paper by default; crash-safe
        wick runs ls    paper and live runs: status, equity, open positions
        wick stop       halt running runs (--flatten closes everything first)
        wick pause      pause a run's entries (wick resume allows them again)
        wick set-param  change a running run's params, checked like the dashboard
        wick reset-account  let a killed virtual account trade again, with a reason
        wick replay     re-run a recorded session through the backtest kernel
        wick serve      the dashboard: runs, charts, controls, sweeps
        wick notify     test the [notify] sinks (Telegram, Discord, Slack, ntfy, webhook)
        wick new        new strategy from a template, with editor types
        wick check      load scripts in the sandbox and report problems (pre-commit)
        wick doctor     check an exchange account is ready for live trading (keys, modes, sizes)

      Live trading: wick run --live on Bybit (testnet unless --mainnet), keys from \
      WICK_BYBIT_API_KEY and WICK_BYBIT_API_SECRET. Guides: docs/ in the repository.
      """,
    version: WickVersion.current,
    subcommands: [
      DataCommand.self,
      BacktestCommand.self,
      ReportCommand.self,
      ReproduceCommand.self,
      ConfigCommand.self,
      PairsCommand.self,
      RunCommand.self,
      StopCommand.self,
      PauseCommand.self,
      ResumeCommand.self,
      SetParamCommand.self,
      ResetAccountCommand.self,
      RunsCommand.self,
      ReplayCommand.self,
      OptimizeCommand.self,
      ServeCommand.self,
      NotifyCommand.self,
      NewCommand.self,
      CheckCommand.self,
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
      DataFetch.self, DataRepair.self, DataRecord.self,
      DataTime.self,
    ]
  )
  public init() {}
}
