import Foundation
import Testing
import WickCore
import WickData
import WickTesting

@testable import WickCLI

/// Where `wick serve` finds the dashboard token, its defaults, and the process: it serves until
/// SIGTERM or SIGINT, then stops cleanly; a port in use is a clear error.
@Suite struct ServeCommandTests {
  func config(_ text: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent(
      "wick-serve-\(UUID().uuidString).toml"
    ).path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  @Test func theTokenComesFromTheEnvironmentOrTheDashboardSection() throws {
    let file = try config("[dashboard]\ntoken = \"from-the-config-file\"\n")
    #expect(
      try ServeCommand.resolveToken(environment: [:], configPath: file) == "from-the-config-file")
    #expect(
      try ServeCommand.resolveToken(
        environment: ["WICK_DASHBOARD_TOKEN": "from-the-environment"], configPath: file)
        == "from-the-environment")
    // Neither: read-only.
    #expect(
      try ServeCommand.resolveToken(environment: [:], configPath: "/nonexistent/wick.toml") == nil)
  }

  @Test func aShortTokenIsAnErrorWithItsLine() throws {
    let file = try config("[risk]\nrisk_per_trade = 0.01\n\n[dashboard]\ntoken = \"short\"\n")
    #expect {
      try ServeCommand.resolveToken(environment: [:], configPath: file)
    } throws: { error in
      "\(error)".contains(":5")
        && "\(error)".contains("[dashboard] token: use at least 12 characters")
    }
    #expect(throws: WickError.self) {
      try ServeCommand.resolveToken(
        environment: ["WICK_DASHBOARD_TOKEN": "short"], configPath: file)
    }
  }

  @Test func loopbackIsTheDefault() throws {
    let command = try ServeCommand.parse([])
    #expect(command.host == "127.0.0.1" && command.port == 8080)
    #expect(throws: (any Error).self) { try ServeCommand.parse(["--port", "70000"]) }
  }

  @Test func plainHTTPOnANonLoopbackAddressIsWarnedAbout() {
    for host in ["127.0.0.1", "::1", "localhost"] {
      #expect(ServeCommand.plainHTTPWarning(host: host, tls: false) == nil)
    }
    let warning = ServeCommand.plainHTTPWarning(host: "0.0.0.0", tls: false)
    #expect(warning?.contains("token would cross the network in clear") == true)
    #expect(ServeCommand.plainHTTPWarning(host: "0.0.0.0", tls: true) == nil)
  }

  /// `wick serve --db FILE --host HOST --port PORT` as a process, its stderr in a file.
  final class ServeProcess {
    let process = Process()
    let log: URL

    init(_ arguments: [String], dir: URL) throws {
      let bin = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
      process.executableURL = bin.appendingPathComponent("wick")
      process.arguments = ["serve"] + arguments
      log = dir.appendingPathComponent("serve-\(UUID().uuidString).log")
      FileManager.default.createFile(atPath: log.path, contents: nil)
      process.standardOutput = try FileHandle(forWritingTo: log)
      process.standardError = process.standardOutput
      process.environment = ["PATH": "/usr/bin:/bin"]
      try process.runWithDeadline(60)
    }

    var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    func waitForExit(_ seconds: Double) -> Bool {
      let deadline = Date().addingTimeInterval(seconds)
      while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
      return !process.isRunning
    }
  }

  /// A port nothing listens on now (a loopback listener's, closed again).
  static func freePort() throws -> Int {
    let probe = try MockExchange(candles: [], timeframe: .oneMinute)
    defer { probe.stop() }
    return Int(probe.baseURL.split(separator: ":").last!)!
  }

  @Test(arguments: [SIGTERM, SIGINT])
  func servesUntilASignalThenStopsCleanly(_ signal: Int32) throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "wick-serve-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let port = try Self.freePort()
    // On every address, so the warning about plain HTTP shows; asked through loopback.
    let serve = try ServeProcess(
      [
        "--db", dir.appendingPathComponent("w.sqlite").path, "--host", "0.0.0.0", "--port",
        String(port),
      ], dir: dir)
    defer { if serve.process.isRunning { serve.process.terminate() } }
    let client = try CurlHTTPClient(connectTimeout: 1, totalTimeout: 5)
    var page: HTTPResponse?
    let deadline = Date().addingTimeInterval(30)
    while page == nil, Date() < deadline, serve.process.isRunning {
      page = try? client.get("http://127.0.0.1:\(port)/runs")
      if page == nil { Thread.sleep(forTimeInterval: 0.1) }
    }
    let answer = try #require(page, "wick serve never answered: \(serve.output)")
    #expect(answer.status == 200)
    #expect(String(decoding: answer.body, as: UTF8.self).contains("<h1>Runs</h1>"))
    #expect(serve.output.contains("token would cross the network in clear"), "\(serve.output)")

    kill(serve.process.processIdentifier, signal)
    #expect(serve.waitForExit(10), "still serving 10 s after the signal")
    #expect(serve.process.terminationStatus == 0, "\(serve.output)")
    #expect(serve.output.contains("wick serve: stopping"), "\(serve.output)")
    #expect(throws: (any Error).self) { try client.get("http://127.0.0.1:\(port)/runs") }
  }

  @Test func aPortInUseIsAClearError() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "wick-serve-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let taken = try MockExchange(candles: [], timeframe: .oneMinute)
    defer { taken.stop() }
    let port = taken.baseURL.split(separator: ":").last!
    let serve = try ServeProcess(
      ["--db", dir.appendingPathComponent("w.sqlite").path, "--port", String(port)], dir: dir)
    #expect(serve.waitForExit(20))
    #expect(serve.process.terminationStatus != 0)
    #expect(serve.output.contains("cannot serve on 127.0.0.1:\(port)"), "\(serve.output)")
  }
}
