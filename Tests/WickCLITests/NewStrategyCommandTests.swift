import ArgumentParser
import Foundation
import Testing
import WickCore
import WickLua

@testable import WickCLI

/// `wick new strategy NAME`: the template backtests as written, the editor files appear once,
/// and nothing is overwritten or written under a bad name.
@Suite struct NewStrategyCommandTests {
  typealias Fixture = BacktestCommandTests.Fixture

  @Test func theTemplateBacktestsAsItIsAndTrades() throws {
    let f = try Fixture()
    try NewStrategy.parse(["breakout_1h", "--dir", f.dir.path]).run()
    let script = f.path("strategies/breakout_1h.lua")
    #expect(FileManager.default.fileExists(atPath: script))
    let types = try String(contentsOfFile: f.path("types/wick.lua"), encoding: .utf8)
    #expect(types == EditorTypes.luaTypes)
    let luarc = try String(contentsOfFile: f.path(".luarc.json"), encoding: .utf8)
    let settings = try JSONSerialization.jsonObject(with: Data(luarc.utf8)) as? [String: Any]
    #expect(settings?["runtime.version"] as? String == "Lua 5.4")
    #expect(settings?["workspace.library"] as? [String] == ["types"])

    let outcome = try BacktestCommand.parse([script, "--db", f.db, "--quiet"]).job().run()
    #expect(outcome.result.error == nil)
    #expect(outcome.result.trades.count > 5)
    #expect(outcome.metrics.tradeCount == outcome.result.trades.count)
  }

  @Test func anExistingScriptIsNeverReplacedAndEditorFilesAreKept() throws {
    let f = try Fixture()
    try FileManager.default.createDirectory(
      atPath: f.path("strategies"), withIntermediateDirectories: true)
    try "-- mine".write(toFile: f.path("strategies/mine.lua"), atomically: true, encoding: .utf8)
    try "{}".write(toFile: f.path(".luarc.json"), atomically: true, encoding: .utf8)
    #expect(throws: (any Error).self) {
      try NewStrategy.parse(["mine", "--dir", f.dir.path]).run()
    }
    #expect(try String(contentsOfFile: f.path("strategies/mine.lua"), encoding: .utf8) == "-- mine")
    #expect(!FileManager.default.fileExists(atPath: f.path("types/wick.lua")))
    do {
      _ = try StrategyTemplate.create(name: "mine", in: f.dir.path)
      Issue.record("an existing script was replaced")
    } catch {
      #expect("\(error)".contains("strategies/mine.lua already exists"), "\(error)")
    }

    let written = try StrategyTemplate.create(name: "other", in: f.dir.path)
    #expect(written.map(\.created) == [true, false, true])
    #expect(try String(contentsOfFile: f.path(".luarc.json"), encoding: .utf8) == "{}")
  }

  @Test(arguments: [
    "", "Mine", "1st", "a-b", "../x", "a b", "é", String(repeating: "a", count: 65),
  ])
  func aBadNameIsRefusedAndNothingIsWritten(name: String) throws {
    let f = try Fixture()
    do {
      _ = try StrategyTemplate.create(name: name, in: f.dir.path)
      Issue.record("'\(name)' was accepted")
    } catch {
      #expect("\(error)".contains("invalid strategy name '\(name)'"), "\(error)")
    }
    #expect(!FileManager.default.fileExists(atPath: f.path("strategies")))
    #expect(!FileManager.default.fileExists(atPath: f.path(".luarc.json")))
  }
}
