import ArgumentParser
import Foundation
import GRDB
import WickCore
import WickLive
import WickRisk

extension RunCommand {
  /// `wick run --config wick.toml`: every `[[run]]` entry in one process under one governor.
  /// The whole file is checked before anything is opened; then each run prints `run: <id>` in
  /// entry order, and the process ends when every run has ended.
  func runGroup() throws {
    do {
      guard let path = config else { throw WickError.invalidArgument("give --config wick.toml") }
      let perEntry: [(String, Bool)] = [
        ("--symbol", !symbols.isEmpty), ("--timeframe", timeframe != nil),
        ("--params", paramsFile != nil), ("--paper", paper), ("--live", live),
        ("--exchange", exchange != "bybit"), ("--testnet", testnet), ("--mainnet", mainnet),
        ("--base-url", baseURL != nil), ("--ws-url", wsURL != nil), ("--equity", equity != 10_000),
      ]
      if let flag = perEntry.first(where: \.1)?.0 {
        throw WickError.invalidArgument(
          "\(flag) belongs to a run: with --config and no strategy, set it in each [[run]] entry of \(path)"
        )
      }
      if let n = stopAfter, n < 1 {
        throw WickError.invalidArgument("--stop-after \(n): expected at least 1")
      }
      let file = try WickConfig.load(path: path)
      var specs = try RunPlan.specs(
        config: file, configPath: path, dbPath: db, stopAfter: stopAfter)
      if let record = recordLiquidations {
        for i in specs.indices { specs[i].recordLiquidations = record }
      }
      // The same safety rules as the flags: keys from the environment, mainnet confirmed.
      if specs.contains(where: { $0.mode == .live }) {
        for spec in specs where spec.mode == .live {
          _ = try LiveCredentials.fromEnvironment(exchange: spec.exchange)
        }
        let mainnet = specs.indices.filter { specs[$0].mode == .live && !specs[$0].testnet }
        if !mainnet.isEmpty {
          print(
            "[[run]] entries trading on MAINNET: \(mainnet.map { "\($0 + 1)" }.joined(separator: ", "))"
          )
          let exchanges = Set(mainnet.map { specs[$0].exchange })
          try Self.confirmMainnet(exchange: exchanges.count == 1 ? exchanges.first! : "several")
        }
      }
      let group = try RunGroup(
        specs: specs, config: file,
        output: { line in
          print(line)
          fflush(nil)
        })
      group.shouldStop = Self.listenForStop()
      let notifier = try NotifyCommand.dispatcher(
        configPath: path, ledger: group.runners[0].ledger, output: Self.printLine)
      for runner in group.runners {
        runner.notifications = notifier?.routes
        runner.onNotify = notifier?.wake
      }
      let prepared = try group.prepare()
      for (id, resumed) in prepared {
        print("run: \(id)\(resumed ? " (resumed)" : "")")
      }
      fflush(nil)
      NotifyCommand.serve(
        notifier, ledger: group.runners[0].ledger, runs: prepared.map(\.id), output: Self.printLine)
      notifier?.start()
      defer { notifier?.stop(drain: 3) }
      var failed = false
      for (runner, outcome) in zip(group.runners, group.run()) {
        switch outcome {
        case .ended(.halted(let why)): print("run \(runner.runID): halted: \(why)")
        case .ended: print("run \(runner.runID): stopped")
        case .failed(let why):
          print("run \(runner.runID): error: \(why)")
          failed = true
        }
      }
      if failed { throw ExitCode(1) }
    } catch let error as WickError {
      printError("error: \(error)")
      throw ExitCode(1)
    } catch let error as DatabaseError {
      printError(databaseFailure(error))
      throw ExitCode(1)
    }
  }
}
