import Foundation
import WickCore
import WickData
import WickLua
import WickSim

/// What `wick check` finds wrong with one script, without a backtest on the user's data: it
/// loads the script in the sandbox (syntax, the module table, params and their defaults, a
/// params file), runs `init` and a few hundred synthetic candles through the real kernel (so a
/// wrongly typed intent, a typo in an intent's keys or a runtime error surfaces with its
/// file:line), and, given a cache, checks that the script's series are in it.
struct ScriptCheck {
  var path: String
  var symbols: [String]? = nil
  var paramsFile: String? = nil
  var paramAssignments: [String] = []
  /// The candle cache to check the script's series against (nil: not checked).
  var dbPath: String? = nil
  var exchange: String? = nil
  var onLog: ((String) -> Void)? = nil

  struct Report {
    /// Each problem as "file:line: message" (the line when known).
    var problems: [String] = []
    /// What ran, for the "ok" line: candles, trades, refusals by code.
    var candles = 0
    var trades = 0
    var refusals: [String: Int] = [:]
  }

  func run() -> Report {
    var report = Report()
    let source = ScriptSource.read(path)
    let job = BacktestJob(
      strategyPath: path, symbols: symbols, paramsFile: paramsFile,
      paramAssignments: paramAssignments, onLog: onLog)
    let strategy: LuaStrategy
    do {
      strategy = try job.loadStrategy()
    } catch {
      report.problems.append(Self.located(Self.text(of: error), source: source, path: path))
      return report
    }
    strategy.onLog = onLog
    let timeframe = strategy.manifest.timeframe ?? .oneMinute
    let symbols = symbols ?? strategy.manifest.symbols
    if let dbPath {
      report.problems += cacheProblems(
        dbPath, symbols: symbols, timeframe: strategy.manifest.timeframe, source: source)
    }
    let count = min(max(strategy.warmup * 2, strategy.warmup + 300), 20_000)
    let market = BacktestJob.Market(symbols: symbols, timeframe: timeframe, keys: [], rates: [])
    do {
      let (result, _) = try job.simulate(
        strategy, market: market,
        source: MergedCandleSource(
          symbols: symbols,
          cursors: Self.syntheticCandles(count: count, symbols: symbols.count, timeframe: timeframe)
            .map(ArrayCandleCursor.init)))
      report.candles = result.candles
      report.trades = result.trades.count
      report.refusals = result.refusals
      if let error = result.error { report.problems.append(error) }
    } catch {
      report.problems.append(Self.located(Self.text(of: error), source: source, path: path))
    }
    return report
  }

  /// The cache must hold every symbol at the script's timeframe.
  private func cacheProblems(
    _ dbPath: String, symbols: [String], timeframe: Timeframe?, source: String?
  ) -> [String] {
    guard FileManager.default.fileExists(atPath: dbPath) else {
      return ["\(dbPath): no candle cache at this path (--db)"]
    }
    guard let timeframe else {
      return [
        "\(path): the script declares no timeframe, so a backtest needs --timeframe; add `timeframe = \"1m\"` to check it against \(dbPath)"
      ]
    }
    let line = source.flatMap { ScriptSource.line(ofKey: "timeframe", in: $0) }
    let at = line.map { "\(path):\($0)" } ?? path
    do {
      let store = try CandleStore(path: dbPath)
      return symbols.compactMap { symbol in
        do {
          _ = try store.resolveSeries(symbol: symbol, timeframe: timeframe, exchange: exchange)
          return nil
        } catch {
          return "\(at): timeframe \(timeframe): \(Self.text(of: error))"
        }
      }
    } catch {
      return ["\(dbPath): \(Self.text(of: error))"]
    }
  }

  static func text(of error: any Error) -> String {
    if let e = error as? WickError, case .script(let message) = e { return message }
    return "\(error)"
  }

  /// Adds the line to a load error that names only the file ("x.lua: unknown field 'on_candel'
  /// in the strategy table"): the line where the offending key is written.
  static func located(_ message: String, source: String?, path: String) -> String {
    let prefix = path + ": "
    guard let source, message.hasPrefix(prefix) else { return message }
    let rest = message.dropFirst(prefix.count)
    func quoted(after marker: String) -> String? {
      guard let r = rest.range(of: marker) else { return nil }
      let tail = rest[r.upperBound...]
      guard let end = tail.firstIndex(of: "'") else { return nil }
      return String(tail[..<end])
    }
    var line: Int? = nil
    if let key = quoted(after: "unknown field '") {
      line = ScriptSource.line(ofKey: key, in: source)
    } else if let param = quoted(after: "param '") {
      let params = ScriptSource.line(ofKey: "params", in: source) ?? 1
      line = ScriptSource.line(ofKey: param, in: source, from: params)
    } else if rest.hasPrefix("'"), let key = quoted(after: "'") {
      line = ScriptSource.line(ofKey: key, in: source)
    }
    guard let line else { return message }
    return "\(path):\(line): \(rest)"
  }

  /// Deterministic candles for each symbol: independent trending and ranging markets, or a
  /// cointegrated pair when there are two symbols (so pairs scripts trade too).
  static func syntheticCandles(count: Int, symbols: Int, timeframe: Timeframe) -> [[Candle]] {
    if symbols == 2 {
      var pair = PairSynthesizer(seed: 11, timeframe: timeframe)
      var a: [Candle] = []
      var b: [Candle] = []
      for _ in 0..<count {
        let (x, y) = pair.next()
        a.append(x)
        b.append(y)
      }
      return [a, b]
    }
    return (0..<symbols).map { i in
      var synth = CandleSynthesizer(seed: UInt64(7 + i), timeframe: timeframe)
      return (0..<count).map { _ in synth.next() }
    }
  }
}

/// Reading a script's text and finding where a key is written in it.
enum ScriptSource {
  /// The text, or nil when the file cannot be read (loading reports that itself).
  static func read(_ path: String) -> String? {
    guard let data = FileManager.default.contents(atPath: path) else { return nil }
    return String(decoding: data, as: UTF8.self)
  }

  /// The first line, at or after `from`, where `key = ` is written as a table key (not `==`).
  static func line(ofKey key: String, in text: String, from: Int = 1) -> Int? {
    let isName: (Character) -> Bool = { $0.isLetter || $0.isNumber || $0 == "_" }
    for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
    where i + 1 >= from {
      let code = line.range(of: "--").map { line[..<$0.lowerBound] } ?? line[...]
      var search = code.startIndex
      while let r = code.range(of: key, range: search..<code.endIndex) {
        search = r.upperBound
        if r.lowerBound > code.startIndex, isName(code[code.index(before: r.lowerBound)]) {
          continue
        }
        let after = code[r.upperBound...].drop { $0 == " " || $0 == "\t" }
        if after.hasPrefix("="), !after.hasPrefix("==") { return i + 1 }
      }
    }
    return nil
  }
}
