import Foundation
import WickCore
import WickData
import WickTesting

/// `make bench`'s load figures: a 20-symbol paper group (`wick run --config` with twenty `[[run]]`
/// entries of the flip strategy, one symbol each, as a user runs it) against the loopback
/// exchange, which pushes every symbol's next 1m candle as soon as all twenty runs have handled
/// the last one. Per candle: the time from the mock sending the minute's candles to the run's
/// line saying it handled the candle (its decisions committed and its orders sent to the
/// venue). Memory: the runner process's resident set after the first ten minutes of candles, after
/// an hour, and at the end (`WICK_LOAD_MINUTES`, default 360): no growth is the figure.
enum LoadBenchmark {
  static let runs = 20
  static let warmup = 20

  static func run(wick: URL, minutes: Int, work: URL) throws {
    guard FileManager.default.isExecutableFile(atPath: wick.path) else {
      line("load, 20-symbol paper group", "skipped", "build the wick product first")
      return
    }
    let symbols = (0..<runs).map { String(format: "L%02dUSDT", $0) }
    var series: [String: [Candle]] = [:]
    for (k, s) in symbols.enumerated() {
      var synth = CandleSynthesizer(
        seed: UInt64(500 + k), timeframe: .oneMinute, start: 1_704_067_200_000,
        startPrice: Double(20 + 10 * k))
      series[s] = (0..<(warmup + minutes + 1)).map { _ in synth.next() }
    }
    let first = series[symbols[0]]!
    let rest = try MockExchange(
      candles: Array(first[0..<warmup]), timeframe: .oneMinute,
      serverTime: first[warmup].time + 1_000)
    rest.candlesBySymbol = series.mapValues { Array($0[0..<warmup]) }
    let ws = try MockKlineStream()
    defer {
      ws.stop()
      rest.stop()
    }
    let script = work.appendingPathComponent("load-flip.lua")
    try flipScript.write(to: script, atomically: true, encoding: .utf8)
    let config = work.appendingPathComponent("load.toml")
    try symbols.map {
      """
      [[run]]
      strategy = "\(script.path)"
      symbols = ["\($0)"]
      timeframe = "1m"
      base_url = "\(rest.baseURL)"
      ws_url = "\(ws.baseURL)"
      equity = 10000

      """
    }.joined().write(to: config, atomically: true, encoding: .utf8)

    let p = Process()
    p.executableURL = wick
    p.arguments = [
      "run", "--config", config.path, "--db", work.appendingPathComponent("load.sqlite").path,
      // One minute more than measured: a run that reaches --stop-after closes its books before
      // the group's next run handles that minute, which made the last minute's latency the
      // stopping's, not the trading's (the max and p99 figures were seconds).
      "--stop-after", "\(minutes + 1)",
    ]
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    let lines = HandledLines()
    try p.run()
    let reader = Thread { lines.read(pipe.fileHandleForReading) }
    reader.start()
    defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }

    // Listening: every run's kline socket has subscribed. Counting subscribe messages is not
    // enough: each run's liquidation recorder subscribes on its own socket too, and twenty of
    // those came first, so minute 0 went out before half the runs listened.
    let subscribed = { ws.klineClients >= runs }
    guard lines.wait(60, { _ in subscribed() }) else {
      throw BenchFailure(message: "load: the group never listened:\n\(lines.text)")
    }
    var latencies: [Double] = []
    latencies.reserveCapacity(runs * minutes)
    // The slowest candle's minute: a spike at minute 0 is start-up, one later is the loop.
    var slowest = (ms: 0.0, minute: 0)
    var rss: [(minutes: Int, kb: Int)] = []
    for m in 0...minutes {
      let i = warmup + m
      let time = first[i].time
      let messages = symbols.map {
        MockKlineStream.klineMessage(
          symbol: $0, interval: "1", candle: series[$0]![i], confirm: true)
      }
      let sent = DispatchTime.now().uptimeNanoseconds
      for m in messages { ws.send(text: m) }
      guard lines.wait(30, { $0.handled[time, default: []].count == runs }) else {
        throw BenchFailure(message: "load: minute \(m) not handled by every run:\n\(lines.text)")
      }
      let handled = lines.take(time).map { Double($0 &- sent) / 1e6 }
      guard m < minutes else { continue }
      if let top = handled.max(), top > slowest.ms { slowest = (top, m) }
      latencies += handled
      if m + 1 == 10 || m + 1 == 60 || m + 1 == minutes {
        rss.append((m + 1, residentKB(p.processIdentifier)))
      }
    }
    p.waitUntilExit()
    guard p.terminationStatus == 0 else {
      throw BenchFailure(message: "load: wick run exited \(p.terminationStatus):\n\(lines.text)")
    }

    latencies.sort()
    func percentile(_ q: Double) -> Double {
      latencies[min(latencies.count - 1, Int((Double(latencies.count) * q).rounded(.down)))]
    }
    let n = "\(latencies.count) candles, \(runs) runs × \(minutes) min"
    line("load, candle → orders sent, p50", String(format: "%.2f ms", percentile(0.5)), n)
    line("load, candle → orders sent, p99", String(format: "%.2f ms", percentile(0.99)), n)
    line(
      "load, candle → orders sent, max", String(format: "%.2f ms", latencies.last ?? 0),
      "\(n); at minute \(slowest.minute)")
    let firstRSS = rss.first?.kb ?? 0
    for r in rss {
      let span = r.minutes % 60 == 0 ? "\(r.minutes / 60) h" : "\(r.minutes) min"
      line(
        "load, runner RSS after \(span) of candles", String(format: "%.1f MB", Double(r.kb) / 1024),
        r.kb == firstRSS
          ? "" : String(format: "%+.1f MB vs 10 min", Double(r.kb - firstRSS) / 1024))
    }
  }

  /// The resident set of `pid` in kB, from /proc.
  static func residentKB(_ pid: Int32) -> Int {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
      let row = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
    else { return 0 }
    return Int(row.split(separator: " ")[1]) ?? 0
  }
}

/// The runner's output lines as they arrive, each "[run N] candle <time> …" line stamped with the
/// moment it was read.
final class HandledLines: @unchecked Sendable {
  struct State {
    var handled: [Int64: [UInt64]] = [:]
    var tail: [String] = []
  }
  private let condition = NSCondition()
  private var state = State()
  private var buffer = Data()

  var text: String { condition.withLock { state.tail.joined(separator: "\n") } }

  func read(_ handle: FileHandle) {
    while true {
      let data = handle.availableData
      let now = DispatchTime.now().uptimeNanoseconds
      if data.isEmpty { return }
      buffer.append(data)
      while let nl = buffer.firstIndex(of: UInt8(ascii: "\n")) {
        let text = String(decoding: buffer[buffer.startIndex..<nl], as: UTF8.self)
        buffer.removeSubrange(buffer.startIndex...nl)
        condition.withLock {
          state.tail.append(text)
          if state.tail.count > 40 { state.tail.removeFirst() }
          // "[run 3] candle 2024-01-01T00:20:00Z equity 10000.00"
          if let r = text.range(of: "] candle "),
            let t = UTCTime.parse(
              String(text[r.upperBound...].prefix { $0 != " " }))
          {
            state.handled[t, default: []].append(now)
          }
          condition.broadcast()
        }
      }
    }
  }

  /// Waits up to `seconds` for `ready` to hold: woken by each line, and every 10 ms for
  /// conditions outside the output.
  func wait(_ seconds: Double, _ ready: (State) -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    return condition.withLock {
      while !ready(state) {
        if Date() >= deadline { return false }
        _ = condition.wait(until: min(deadline, Date().addingTimeInterval(0.01)))
      }
      return true
    }
  }

  /// The read times of the lines for the candle at `time` (and forgets them).
  func take(_ time: Int64) -> [UInt64] {
    condition.withLock { state.handled.removeValue(forKey: time) ?? [] }
  }
}
